"""Cache input-gradient explanations (∇ max p̂, the paper's f_X) of a Decoy-MNIST model stack."""



from rrr import input_gradients, load_model, predict_proba
from rrr.pipeline.jobs import load_npz, start_job, write_npz
from rrr.training import as_tensor

sm = snakemake  # noqa: F821 (injected by Snakemake)
start_job(sm.log[0], sm.threads)
d = load_npz(sm.input.data)
images = d["Xtr"] if sm.wildcards.condition == "baseline" else d["Xt"]
x = as_tensor(images[: sm.params.n_rows])
model = load_model(sm.input.model)
x_stacked = x.expand(model.n_models, *x.shape)
grads = input_gradients(model, x_stacked, "max_prob")
write_npz(
    sm.output[0],
    code=sm.params.code,
    images=images[: sm.params.n_rows],
    labels=d["yt"][: sm.params.n_rows],
    gradients=grads.numpy(),
    probabilities=predict_proba(model, x).numpy(),
)
