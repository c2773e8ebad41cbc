"""http_dns's load generator: http_hello's wrk client (the name to look up is --path)."""
import runpy
import os

if __name__ == "__main__":
    runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http_hello",
                                "client.py"), run_name="__main__")
