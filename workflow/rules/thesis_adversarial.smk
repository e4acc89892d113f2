# Placeholder: filled in by the issue that adds these figures.
