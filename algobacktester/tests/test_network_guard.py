import socket

import pytest


def test_tests_cannot_reach_beyond_loopback() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises(ConnectionRefusedError, match="only loopback"):
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1: never routed anyway
    sock.close()
