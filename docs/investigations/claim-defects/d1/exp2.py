import sys, numpy as np, torch
torch.set_num_threads(1)
sys.path.insert(0, '/work/main')
from rrr.data.iris_cancer import iris_cancer_splits, iris_mask
from rrr.models import mlp_stack
from rrr.training import fit
from rrr.explanations import input_gradients
from rrr.paper.iris_cancer import top_k_iris_count
import torch.nn.functional as F
S = 150
d = iris_cancer_splits(350, 0)
Xtr = torch.tensor(d['Xtr'][:S], dtype=torch.float32); ytr = torch.tensor(d['ytr'][:S])
model = mlp_stack(34, 2, list(range(S)), (50, 30))
model, h = fit(model, Xtr, ytr, iris_mask(67), l1=1000.0, epochs=200, batch_size=67, lr=1e-3, l2=1e-4)
def stable_max_prob_grad(model, x):
    x = x.detach().requires_grad_(True)
    z = model(x)
    lp = F.log_softmax(z, -1)
    m = lp.argmax(-1, keepdim=True)
    p = lp.exp().detach()
    zm = z.gather(-1, m)
    pm = p.gather(-1, m)
    others = p.scatter(-1, m, 0.0)        # p_k for k != m
    # d p_m = p_m * sum_{k!=m} p_k d(z_m - z_k): zero-sum in the logits by construction
    out = (pm * (others * (zm - z)).sum(-1, keepdim=True)).sum()
    (g,) = torch.autograd.grad(out, x)
    return g
def stats(g, tag):
    c = top_k_iris_count(g, 10)
    print(f'{tag}: mean {c.mean():.5f} SE {c.std(ddof=1)/np.sqrt(len(c)):.5f} splits>0 {(c>0).sum()}/{len(c)}')
g32 = input_gradients(model, Xtr, 'max_prob'); stats(g32, 'float32 max_prob (ours)')
gst = stable_max_prob_grad(model, Xtr); stats(gst, 'float32 stable zero-sum form')
m64 = model.double(); g64 = input_gradients(m64, Xtr.double(), 'max_prob'); stats(g64, 'float64 max_prob')
# mechanism: saturation of rows whose float32 top10 contains iris
with torch.no_grad():
    lp = F.log_softmax(m64(Xtr.double()), -1)
    gap = (lp.max(-1).values - lp.min(-1).values).numpy()   # logit gap
on = ((g32.abs().topk(10, -1).indices < 4).sum(-1) > 0).numpy()
print('rows w/ iris in top10 (float32):', on.sum(), 'of', on.size)
print('logit gap quantiles all rows', np.quantile(gap, [.1,.5,.9]).round(1), ' flagged rows', np.quantile(gap[on], [.1,.5,.9]).round(1))
rel = ((g32.double() - g64).norm(dim=-1) / g64.norm(dim=-1)).numpy()
print('relative error of float32 grad: median all', np.median(rel), 'median flagged', np.median(rel[on]))
# leak component: iris part of grad in float32 vs 64
print('|iris grad| / max|grad| median flagged f32', np.median((g32.abs()[...,:4].amax(-1)/g32.abs().amax(-1)).numpy()[on]),
      'f64', np.median((g64.abs()[...,:4].amax(-1)/g64.abs().amax(-1)).numpy()[on]))
