"""The thesis's other experiments, beyond the paper and the adversarial chapter.

:mod:`~rrr.extras.diverse` (simultaneous find-another-explanation, App. C), :mod:`~rrr.extras.hessian` (L1, L2 and
Hessian input penalties, App. I), :mod:`~rrr.extras.vgg` (the L1-vs-L2 defense's network, App. I.1) and
:mod:`~rrr.extras.autoencoder` (explanations in a learned latent space, App. L).
"""
