"""Old module names that still import, with a DeprecationWarning, for one release after their modules moved: the
chapters into subpackages (rrr 0.2), the workflow's machinery into :mod:`rrr.pipeline`. ``rrr.cnn`` is a thin module
whose attributes are those of :mod:`rrr.adversarial.cnn` (the same objects); a name that moved elsewhere
(``rrr.hessian.smooth_mlp``, now :func:`rrr.models.smooth_mlp`) still resolves, and ``python -m rrr.walltime`` runs
:mod:`rrr.pipeline.walltime`."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from importlib.machinery import ModuleSpec
from types import CodeType, ModuleType

MOVED = {
    "rrr.cnn": "rrr.adversarial.cnn",
    "rrr.defenses": "rrr.adversarial.defenses",
    "rrr.attacks": "rrr.adversarial.attacks",
    "rrr.adversarial_metrics": "rrr.adversarial.metrics",
    "rrr.vgg": "rrr.extras.vgg",
    "rrr.hessian": "rrr.extras.hessian",
    "rrr.diverse": "rrr.extras.diverse",
    "rrr.autoencoder": "rrr.extras.autoencoder",
    "rrr.toy_color_rules": "rrr.paper.toy_color",
    "rrr.text_explanations": "rrr.paper.newsgroups",
    "rrr.timing": "rrr.paper.timing",
    "rrr.claims": "rrr.pipeline.claims",
    "rrr.reference": "rrr.pipeline.reference",
    "rrr.configcheck": "rrr.pipeline.configcheck",
    "rrr.provenance": "rrr.pipeline.provenance",
    "rrr.fingerprint": "rrr.pipeline.fingerprint",
    "rrr.walltime": "rrr.pipeline.walltime",
    "rrr.jobs": "rrr.pipeline.jobs",
    "rrr.chunks": "rrr.pipeline.chunks",
    "rrr.experiments": "rrr.pipeline.replicates",
}

# Names that left their module for another one than the module's own new place.
MOVED_NAMES = {
    "rrr.hessian": {"smooth_mlp": "rrr.models", "sine_boundary_2d": "rrr.data.toy2d"},
}


class MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves an old name of :data:`MOVED` to the module at its new place."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        return importlib.util.spec_from_loader(name, self) if name in MOVED else None

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        new = MOVED[spec.name]
        _warn(spec.name)
        target, elsewhere = importlib.import_module(new), MOVED_NAMES.get(spec.name, {})
        module = ModuleType(spec.name, f"Deprecated: moved to {new}.")

        def __getattr__(name: str) -> object:
            return getattr(importlib.import_module(elsewhere[name]) if name in elsewhere else target, name)

        module.__getattr__ = __getattr__  # type: ignore[method-assign]
        module.__dir__ = lambda: sorted(set(dir(target)) | set(elsewhere))  # type: ignore[method-assign]
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module was imported at its new place."""

    def get_code(self, name: str) -> CodeType:
        """``python -m <old name>``: run the module at its new place as ``__main__``, after the warning."""
        return compile(f"import runpy; from rrr._moved import _warn; _warn({name!r}, stacklevel=2); "
                       f"runpy.run_module({MOVED[name]!r}, run_name='__main__', alter_sys=True)", name, "exec")


def _warn(old: str, stacklevel: int = 3) -> None:
    warnings.warn(f"{old} moved to {MOVED[old]}; import it from there (the old name goes in rrr 0.3)",
                  DeprecationWarning, stacklevel=stacklevel)


def install() -> None:
    if not any(isinstance(f, MovedModuleFinder) for f in sys.meta_path):
        sys.meta_path.append(MovedModuleFinder())
