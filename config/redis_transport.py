"""The broker transport: kombu's Redis transport, made to survive a restart of Redis while a
worker runs a task.

With Celery 5.7 a worker that loses Redis closes the broken connection before reconnecting.
A channel of that closed connection is still used afterwards: closing it restores the
unacknowledged message of the task in flight (late acknowledgement), and the task's ack goes
through it when the task ends. Both then fail with an AttributeError (the connection's details
are gone), which is not a connection error, so the worker stops for good ("Unrecoverable
error"). Raised as the connection error it is, the worker logs it and reconnects once Redis is
back; Redis keeps the message unacknowledged, delivers it again after the visibility timeout,
and the stage then finds itself done. tests/reliability/test_faults.py restarts Redis under a
running worker.
"""

from kombu.transport import redis


class Channel(redis.Channel):
    def _connparams(self, asynchronous=False):
        if self.connection.client is None:  # the connection this channel belonged to is closed
            raise redis.redis.ConnectionError("the connection to Redis was closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(redis.Transport):
    Channel = Channel
