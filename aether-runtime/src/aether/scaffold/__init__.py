"""``aether new``: rendering the bundled template, with the checks before and after it."""
