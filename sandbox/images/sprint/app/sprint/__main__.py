import sys

from sprint import app

if __name__ == "__main__":
    sys.exit(app.main(sys.argv[1:]) or 0)
