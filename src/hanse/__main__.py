from hanse.cli import main

raise SystemExit(main())
