from backoffice_lib.cli import main

main()
