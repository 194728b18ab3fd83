from aether.cli.entry import main

main()
