"""The thesis's adversarial chapter (Ross & Doshi-Velez, AAAI 2018): input-gradient regularization as a defense.

:mod:`~rrr.adversarial.cnn` (the chapter's CNN), :mod:`~rrr.adversarial.defenses` (training with each defense),
:mod:`~rrr.adversarial.attacks` (FGSM, TGSM, JSMA), :mod:`~rrr.adversarial.metrics` (what the evaluation writes for
the claims), :mod:`~rrr.adversarial.transfer` (Figures 14 and 18) and :mod:`~rrr.adversarial.table2` (scoring the
human study; ``python -m rrr.adversarial.table2``). The datasets are in :mod:`rrr.data.adversarial`.
"""
