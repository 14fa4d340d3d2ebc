from calcast.cli import main

main()
