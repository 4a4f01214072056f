from register.cli import main

main()
