import sys, time, json, numpy as np, torch
torch.set_num_threads(1)
sys.path.insert(0, '/work/main')
from rrr.data.iris_cancer import iris_cancer_splits, iris_mask
from rrr.models import mlp_stack
from rrr.training import fit, accuracy
from rrr.explanations import input_gradients
from rrr.paper.iris_cancer import top_k_iris_count

S = int(sys.argv[1]) if len(sys.argv) > 1 else 100
dtype = getattr(torch, sys.argv[2]) if len(sys.argv) > 2 else torch.float32
torch.set_default_dtype(dtype)
d = iris_cancer_splits(350, 0)
Xtr = torch.tensor(d['Xtr'][:S], dtype=dtype); ytr = torch.tensor(d['ytr'][:S])
seeds = list(range(S))
model = mlp_stack(34, 2, seeds, (50, 30))
t = time.time()
model, h = fit(model, Xtr, ytr, iris_mask(67), l1=1000.0, epochs=200, batch_size=67, lr=1e-3, l2=1e-4)
print('train s', time.time() - t)
def report(model, X, tag):
    g = input_gradients(model, X, 'max_prob')
    cnt = top_k_iris_count(g, 10)
    zero_rows = (g.abs().amax(-1) == 0).sum(-1).numpy()
    print(tag, 'mean top10 iris', cnt.mean(), 'SE', cnt.std(ddof=1)/np.sqrt(len(cnt)), 'splits>0', (cnt > 0).sum(),
          'rows all-zero grad', zero_rows.sum(), 'splits w/ zero row', (zero_rows > 0).sum())
    # count excluding zero rows
    top = g.abs().topk(10, dim=-1).indices
    on = ((top < 4).sum(-1)).double()
    nz = g.abs().amax(-1) > 0
    print('   iris-in-top10 on nonzero rows only, per row:', (on * nz).sum().item() / nz.sum().item())
    return g
g32 = report(model, Xtr, f'{dtype} model, grads in {dtype}')
m64 = model.double()
g64 = report(m64, Xtr.double(), f'{dtype} model, grads in float64')
np.savez(f'/work/scratch/defects/d1/exp1_{dtype}_{S}.npz', g=g32.detach().numpy(), g64=g64.detach().numpy())
