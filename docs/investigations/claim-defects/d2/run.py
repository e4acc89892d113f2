import sys, json, numpy as np, torch
torch.set_num_threads(1)
sys.path.insert(0, '/work/main')
import rrr
import rrr.data.squares as sq
from rrr.extras.diverse import train_diverse_models

ORIG = dict(SIZES=sq.SIZES, SHADE_RANGE=sq.SHADE_RANGE, SHADE_CLASSES=sq.SHADE_CLASSES)
orig_sample = sq.sample_factors

def sample_marginal(n, rng, size_class=None, shade_class=None, side=sq.SIDE):
    # D1: the non-predictive factor's class drawn independently of the label, from the training ranges
    if size_class is None:
        size_class = rng.integers(0, 2, n)
    if shade_class is None:
        shade_class = rng.integers(0, 2, n)
    return orig_sample(n, rng, size_class, shade_class, side)

VARIANTS = {
    'B': {},
    'D1': {'marginal': True},
    'D2': {'SHADE_CLASSES': ((0.0, 0.3), (0.3, 0.6))},
    'D3': {'SHADE_CLASSES': ((0.0, 0.5), (0.5, 1.0)), 'SHADE_RANGE': (0.0, 1.0)},
    'D4': {'SIZES': (2, 3, 4, 8, 9, 10)},
    'D5': {'marginal': True, 'SHADE_CLASSES': ((0.0, 0.3), (0.3, 0.6))},
}
out = {}
for name in (sys.argv[1:] or VARIANTS):
    v = VARIANTS[name]
    for k, val in ORIG.items():
        setattr(sq, k, v.get(k, val))
    sq.sample_factors = sample_marginal if v.get('marginal') else orig_sample
    data = {}
    for split, n, off in (('train', 4000, 2), ('test_size', 2000, 3), ('test_color', 2000, 4)):
        X, y, _ = sq.make_squares(n, split, seed=0 * 100 + off)
        data[split] = (torch.tensor(X.reshape(n, -1)), torch.tensor(y))
    res = {s: [] for s in data}
    for seed in (0, 1, 2):
        net = rrr.mlp(256, 2, (64,), seed=seed, init_std=None)
        (net,), _ = train_diverse_models([net], *data['train'], lambda_overlap=0.0, seed=seed, epochs=20, batch_size=256, lr=1e-3)
        for s in data:
            res[s].append(float(rrr.accuracy(net, *data[s])))
    out[name] = res
    print(name, {s: (round(np.mean(a), 4), round(np.std(a, ddof=1) / np.sqrt(3), 4), [round(x, 4) for x in a]) for s, a in res.items()}, flush=True)
json.dump(out, open('/work/scratch/defects/d2/results_' + '_'.join(sys.argv[1:] or ['all']) + '.json', 'w'), indent=1)
