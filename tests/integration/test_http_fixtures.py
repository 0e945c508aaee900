"""The programs of the `synctrace http` tests prove themselves, without
synctrace: the client's counts follow from its plan, and the relay (Node,
Go, Python; HTTP and HTTPS) counts the same requests per route and status,
SSE events per stream and WebSocket frames by opcode. A test of
test_http*.py can then trust their ground truth."""
import pytest

from netharness import Relay, check_agreement, make_cert, require_net, run_client

pytestmark = pytest.mark.no_bpf
ALL = "http,pipeline,sse,ws"


@pytest.mark.parametrize("kind,parts", [("node", ALL), ("go", "http,pipeline"),
                                        ("python", "http,pipeline")])
def test_relay_and_client_agree(kind, parts):
    require_net()
    with Relay(kind) as r:
        client = run_client(r.port, parts)
        server = r.stop()
    check_agreement(client, server, parts)


def test_relay_and_client_agree_tls(tmp_path):
    require_net()
    with Relay("node", tls=make_cert(tmp_path)) as r:
        client = run_client(r.port, ALL, tls=True)
        server = r.stop()
    check_agreement(client, server, ALL)
