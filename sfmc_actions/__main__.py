from sfmc_actions.cli import main

main()
