"""The experiments of the paper (Ross, Hughes & Doshi-Velez, IJCAI 2017), one module per dataset.

:mod:`~rrr.paper.toy_color` (Sec. 4.1), :mod:`~rrr.paper.decoy_mnist` (4.3), :mod:`~rrr.paper.iris_cancer` (4.2),
:mod:`~rrr.paper.newsgroups` (4.4, word-level explanations) and :mod:`~rrr.paper.timing` (Table 1's clock). They use
the method (``import rrr``); the method never imports them.
"""
