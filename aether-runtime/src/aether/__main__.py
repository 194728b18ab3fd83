from aether.cli.app import main

main()
