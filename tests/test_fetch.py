"""Downloads against a local HTTP server on 127.0.0.1: normal, interrupted and resumed, corrupted."""
from __future__ import annotations

import hashlib
import http.server
import threading

import pytest

from mrkit.gwas.fetch import FetchError, fetch
from mrkit.gwas.sources import Source
from mrkit.rng import make_rng

PAYLOAD = make_rng(7).integers(0, 256, 300_000, dtype="uint8").tobytes()
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.payload`` with Range support; can cut after N bytes or serve wrong bytes."""

    def do_GET(self):  # noqa: N802 (http.server naming)
        srv = self.server
        srv.requests.append(dict(self.headers))
        if self.path.endswith("missing.gz"):
            self.send_error(404)
            return
        body, status, start = srv.payload, 200, 0
        if srv.corrupt:
            body = body[:1000] + bytes([body[1000] ^ 0xFF]) + body[1001:]
        ranged = self.headers.get("Range")
        if ranged and srv.ranges:
            start = int(ranged.removeprefix("bytes=").split("-")[0])
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.end_headers()
                return
            status = 206
        self.send_response(status)
        self.send_header("Content-Length", str(len(body) - start))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.end_headers()
        chunk = body[start:]
        if srv.cut_after is not None:
            chunk, srv.cut_after = chunk[:srv.cut_after], None  # only the first response is cut
            self.wfile.write(chunk)
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(chunk)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.payload, srv.requests, srv.cut_after, srv.corrupt, srv.ranges = PAYLOAD, [], None, False, True
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}/files/lbp.gz"
    yield srv
    srv.shutdown()
    srv.server_close()


def test_normal_download_is_verified_and_named(server, tmp_path):
    path = fetch(server.url, tmp_path, sha256=DIGEST, progress=False)
    assert path == tmp_path / "lbp.gz" and path.read_bytes() == PAYLOAD
    assert not (tmp_path / "lbp.gz.part").exists()
    assert "Range" not in server.requests[0]
    # a second call finds the verified file and does not download again
    assert fetch(server.url, tmp_path, sha256=DIGEST, progress=False) == path and len(server.requests) == 1


def test_interrupted_download_resumes_with_range(server, tmp_path):
    server.cut_after = 123_456
    path = fetch(server.url, tmp_path, sha256=DIGEST, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert len(server.requests) == 2
    assert "Range" not in server.requests[0]
    assert server.requests[1]["Range"] == "bytes=123456-"


def test_interrupted_download_keeps_part_and_resumes_on_the_next_call(server, tmp_path):
    server.cut_after = 100_000
    with pytest.raises(FetchError, match=r"interrupted after 100000 bytes.*lbp.gz.part is kept"):
        fetch(server.url, tmp_path, sha256=DIGEST, progress=False, retries=0)
    assert (tmp_path / "lbp.gz.part").stat().st_size == 100_000 and not (tmp_path / "lbp.gz").exists()
    path = fetch(server.url, tmp_path, sha256=DIGEST, progress=False, retries=0)
    assert server.requests[-1]["Range"] == "bytes=100000-" and path.read_bytes() == PAYLOAD


def test_server_ignoring_range_restarts_cleanly(server, tmp_path):
    server.cut_after, server.ranges = 50_000, False
    path = fetch(server.url, tmp_path, sha256=DIGEST, progress=False)
    assert server.requests[1]["Range"] == "bytes=50000-"  # asked, got 200 with the whole file
    assert path.read_bytes() == PAYLOAD


def test_corrupted_download_is_rejected_and_not_kept(server, tmp_path):
    server.corrupt = True
    with pytest.raises(FetchError, match=rf"corrupted download \(sha256 [0-9a-f]{{64}}, expected {DIGEST}\)"):
        fetch(server.url, tmp_path, sha256=DIGEST, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_wrong_size_is_rejected(server, tmp_path):
    with pytest.raises(FetchError, match=r"size 300000 bytes, expected 300001"):
        fetch(server.url, tmp_path, size=300_001, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_without_checksum_the_digest_is_reported(server, tmp_path, capsys):
    fetch(server.url, tmp_path, progress=False)
    assert DIGEST in capsys.readouterr().out


def test_source_fields_are_used(server, tmp_path):
    source = Source(trait="lbp", description="d", units="log odds", format="finngen", citation="c",
                    url=server.url, filename="finngen_lbp.gz", sha256=DIGEST, size=len(PAYLOAD))
    assert fetch(source, tmp_path, progress=False).name == "finngen_lbp.gz"
    bad = Source(trait="lbp", description="d", units="u", format="finngen", citation="c", url=server.url,
                 filename="other.gz", sha256="0" * 64)
    with pytest.raises(FetchError, match="corrupted download"):
        fetch(bad, tmp_path, progress=False)
    assert not (tmp_path / "other.gz").exists()


def test_http_error_is_clear(server, tmp_path):
    with pytest.raises(FetchError, match=r"missing.gz: HTTP 404"):
        fetch(server.url.replace("lbp.gz", "missing.gz"), tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_archive_is_unpacked_whole(tmp_path):
    import io
    import tarfile

    from mrkit.gwas.fetch import unpack

    archive = tmp_path / "1kg.v3.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        for ext in (".bed", ".bim", ".fam"):
            info = tarfile.TarInfo(f"EUR{ext}")
            info.size = 3
            tar.addfile(info, io.BytesIO(b"abc"))
    dest = unpack(archive, tmp_path / "1kg.v3")
    assert sorted(p.name for p in dest.iterdir()) == ["EUR.bed", "EUR.bim", "EUR.fam"]
    archive.write_bytes(archive.read_bytes()[:40])
    with pytest.raises(FetchError, match="cannot unpack"):
        unpack(archive, tmp_path / "other")
    assert not (tmp_path / "other").exists() and not (tmp_path / "other.part").exists()
