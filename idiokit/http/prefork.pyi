from typing import Any, Callable, Optional, Tuple, Union

from .server import Server, _Handler

class _Stop(Exception): ...

def serve_prefork(server: Union[Server, _Handler], host: str, port: int,
                  workers: Optional[int] = ...,
                  on_bound: Optional[Callable[[Tuple[str, int]], Any]] = ...,
                  **options: Any) -> None: ...
