import sys, copy, json, time, numpy as np, torch
torch.set_num_threads(1)
sys.path.insert(0, '/work/main')
from rrr import fit, mlp_stack
from rrr.data import corner_mask
from rrr.data.toy_color import generate_toy_color
from rrr.paper.toy_color import rule_scores
from rrr.training import accuracy
X, y = generate_toy_color(20000, 0)
Xt, yt = generate_toy_color(20000, 1)
grid = np.logspace(-3, 3, 50)
idx = list(range(12, 46))
models = []  # (design, replicate, grid index, seed)
for r in range(3):
    for i in idx:
        models.append(('common', r, i, r))                     # ours: one init seed for the whole sweep
for r in range(3):
    for i in idx:
        models.append(('distinct', r, i, 100 + 1000 * r + i))   # reference: a fresh init for every λ1
seeds = [m[3] for m in models]
l1 = [float(grid[m[2]]) for m in models]
model = mlp_stack(75, 2, seeds)
mask = torch.as_tensor(corner_mask()).expand(*X.shape)
t = time.time()
model, _ = fit(model, X, y, mask, l1=l1, seed=0, epochs=64, batch_size=256, lr=1e-3, l2=1e-4)
print('train s', time.time() - t, flush=True)
torch.save(model.state_dict(), '/work/scratch/defects/d3/sweep_models.pt')
s32 = rule_scores(model, Xt[:1000], 0.67)
m64 = copy.deepcopy(model).double()
s64 = rule_scores(m64, torch.tensor(Xt[:1000], dtype=torch.float64), 0.67)
acc = np.atleast_1d(accuracy(model, Xt, yt)).tolist()
out = dict(models=models, l1=l1, rule1_32=s32['rule1_score'], rule2_32=s32['rule2_score'],
           rule1_64=s64['rule1_score'], rule2_64=s64['rule2_score'], test_acc=acc)
json.dump(out, open('/work/scratch/defects/d3/sweep.json', 'w'))
print('done')
