from ..asyncoro.asyncfile import AsyncFile as AsyncFile, AsyncPipe as AsyncPipe, Popen as Popen

__all__ = ['AsyncFile', 'AsyncPipe', 'Popen']
