import json, numpy as np
d = json.load(open('sweep.json'))
grid = np.logspace(-3, 3, 50)
M = d['models']
for prec in ('32', '64'):
    r1, r2 = np.array(d['rule1_' + prec]), np.array(d['rule2_' + prec])
    print(f'--- rule scores from float{prec} gradients')
    for design in ('common', 'distinct'):
        fr = []
        for rep in range(3):
            sel = [k for k, m in enumerate(M) if m[0] == design and m[1] == rep]
            hyb = np.minimum(r1[sel], r2[sel]) >= 0.2
            lam = np.array([grid[M[k][2]] for k in sel])
            # corner-dominated below / top-middle above: transitional band = from first lam with r2>=0.2 to last lam with r1>=0.2
            trans = lam[(r2[sel] >= 0.2)].min(), lam[(r1[sel] >= 0.2)].max()
            nonmono = int(np.sum(np.diff((r2[sel] > r1[sel]).astype(int)) != 0))
            fr.append(hyb.sum() / 50)
            print(f'{design} rep{rep}: hybrid points {hyb.sum()} -> fraction of 50-grid {hyb.sum()/50:.2f}; '
                  f'band (first r2>=.2 .. last r1>=.2) {trans[0]:.3g}..{trans[1]:.3g} ({np.log10(trans[1]/trans[0]):.2f} dex); dominance flips {nonmono}')
            print('    r1', np.round(r1[sel], 2).tolist()); print('    r2', np.round(r2[sel], 2).tolist())
        fr = np.array(fr); print(f'  {design}: hybrid fraction mean {fr.mean():.3f} SE {fr.std(ddof=1)/np.sqrt(3):.3f}')
print('lambda grid idx 12..45:', np.round(grid[12:46], 3).tolist())
print('min test acc', min(d['test_acc']))
