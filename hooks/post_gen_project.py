"""Cookiecutter post-generation hook: say what to do next (copier prints the same message)."""

print(
    """
Your project "{{ cookiecutter.project_name }}" is ready. Next:

    cd {{ cookiecutter.project_slug }}
    git init
    make install    # .venv, uv.lock and the pre-commit hooks
    git add -A && git commit -m "Start from the Aether template"
    make run test

`make help` lists every task; README.md explains the layout.
Made with cookiecutter: to receive template updates with `copier update`, follow
"A project made with cookiecutter" in the Aether docs (Project template > Upgrade a project).
"""
)
