import sys, json, time, numpy as np, torch
torch.set_num_threads(1)
sys.path.insert(0, '/work/main')
from rrr import fit, mlp_stack
from rrr.data import corner_mask
from rrr.data.toy_color import generate_toy_color
from rrr.training import accuracy
X, y = generate_toy_color(20000, 0)
Xt, yt = generate_toy_color(20000, 1)
seeds = list(range(12))
out = {}
for size in [47, 59, 74, 92]:
    mask = torch.as_tensor(~corner_mask()).expand(size, 75)
    model = mlp_stack(75, 2, seeds)
    t = time.time()
    model, _ = fit(model, X[:size], y[:size], mask, l1=1e4, reduction='mean', seed=0,
                   epochs=int(320000 / size), batch_size=min(256, size), lr=1e-3, l2=1e-4)
    acc = np.atleast_1d(accuracy(model, Xt, yt))
    out[size] = acc.tolist()
    print(size, 'time', round(time.time() - t), 'acc', np.round(acc, 4).tolist(), flush=True)
json.dump(out, open('/work/scratch/defects/d3/prorule1.json', 'w'))
