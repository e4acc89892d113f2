import copy, sys, numpy as np, torch
torch.set_num_threads(1)
sys.path.insert(0, '/work/main')
from rrr.data.iris_cancer import iris_cancer_splits, iris_mask
from rrr.models import mlp_stack
from rrr.training import fit
from rrr.explanations import input_gradients
from rrr.paper.iris_cancer import top_k_iris_count, iris_usage
S = 150
d = iris_cancer_splits(350, 0)
Xtr = torch.tensor(d['Xtr'][:S], dtype=torch.float32); ytr = torch.tensor(d['ytr'][:S]); Xte = torch.tensor(d['Xte'][:S], dtype=torch.float32)
for cond, mask, l1 in [('plain', None, 0.0), ('annotated', iris_mask(67), 1000.0)]:
    model = mlp_stack(34, 2, list(range(S)), (50, 30))
    model, h = fit(model, Xtr, ytr, mask, l1=l1, epochs=200, batch_size=67, lr=1e-3, l2=1e-4)
    for tag, m, xs in [('f32', model, (Xtr, Xte)), ('f64', copy.deepcopy(model).double(), (Xtr.double(), Xte.double()))]:
        c = top_k_iris_count(input_gradients(m, xs[0], 'max_prob'), 10)
        u = iris_usage(input_gradients(m, xs[1], 'max_prob'))
        print(f'{cond} grads {tag}: top10 {c.mean():.4f} (SE {c.std(ddof=1)/np.sqrt(S):.4f}); test iris_usage {u.mean():.4f} (SE {u.std(ddof=1)/np.sqrt(S):.4f})')
