RESOLV_CONF_PATH: str
MAX_TIMEOUT: int
MAX_ATTEMPTS: int

def options(path=None, environ=None): ...
