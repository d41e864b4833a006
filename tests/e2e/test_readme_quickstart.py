"""The README's quick start, as a new user pastes it (issue 17: "a new user can follow the README
to a graph of their own traffic in under five minutes"): the server started as the README says
(first start: generated credentials in ./openfront-data), then the README's command block run as
written by bash in the same directory, followed by the README's boto3 example, the only change being the ports (the README's defaults,
4580, 8080 and 9000, may be taken on a test machine). The block must leave a distribution whose
console counters show the traffic it sent, and the console's pages must show them.
"""

import base64
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.request

from harness import Server, _rmtree_later, free_port

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")


def quickstart_block():
    """The ```sh block after the README's <!-- quickstart-commands --> marker."""
    with open(README, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"<!-- quickstart-commands -->\s*```sh\n(.*?)\n```", text, re.S)
    if not m:
        raise AssertionError("README.md has no <!-- quickstart-commands --> sh block")
    return m.group(1)


def boto3_snippet():
    """The README's boto3 example (the ```python block after "With boto3")."""
    with open(README, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"With boto3[^\n]*\n+```python\n(.*?)\n```", text, re.S)
    if not m:
        raise AssertionError("README.md has no boto3 example")
    return m.group(1)


def have(cmd):
    return subprocess.run(["sh", "-c", "command -v " + cmd], capture_output=True).returncode == 0


@unittest.skipUnless(have("aws") and have("curl"), "the quick start needs the AWS CLI and curl")
class TestReadmeQuickStart(unittest.TestCase):

    def test_block_runs_as_pasted(self):
        cwd = tempfile.mkdtemp(prefix="openfront-e2e-quickstart-")
        _rmtree_later(cwd)
        # As the README's "./openfront serve": first start, credentials generated in ./openfront-data.
        srv = Server(data_dir=os.path.join(cwd, "openfront-data"), creds=False, cwd=cwd).start()
        self.addCleanup(srv.stop, 10)
        first = srv.stdout()
        self.assertIn("Console:   http://127.0.0.1:%d/console" % srv.api_port, first)
        self.assertIn(os.path.join(cwd, "openfront-data", "credentials"), first)

        origin_port = free_port()
        script = quickstart_block()
        for default, port in (("127.0.0.1:4580", "127.0.0.1:%d" % srv.api_port),
                              (":8080/", ":%d/" % srv.edge_port),
                              ("9000", str(origin_port))):
            self.assertIn(default, script, "the README's block no longer uses %s" % default)
            script = script.replace(default, port)

        # Then the README's boto3 example, in the same shell (its exports, its origin).
        snippet = boto3_snippet()
        for default, port in (("127.0.0.1:4580", "127.0.0.1:%d" % srv.api_port), ("9000", str(origin_port))):
            self.assertIn(default, snippet, "the README's boto3 example no longer uses %s" % default)
            snippet = snippet.replace(default, port)
        with open(os.path.join(cwd, "snippet.py"), "w") as f:
            f.write(snippet)
        script += "\npython3 snippet.py\n"

        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OPENFRONT_"))}
        env["HOME"] = cwd  # no ~/.aws of the machine running the tests
        began = time.time()
        proc = subprocess.Popen(["bash", "-e", "-o", "pipefail", "-c", script], cwd=cwd, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=240)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # the block's origin (python3 -m http.server &)
            except ProcessLookupError:
                pass
        took = time.time() - began
        self.assertEqual(proc.returncode, 0, out)
        self.assertLess(took, 120, "the quick start's commands took %.0f s" % took)

        self.assertRegex(out, r"\nd[a-z0-9]{13}\.cloudfront\.localhost\n$", "the boto3 example's DomainName")
        self.assertIn("X-Cache: Miss from cloudfront", out)
        self.assertIn("Hello from my origin", out)
        stats = json.loads(out[out.index("{\n"):out.rindex("}") + 1])
        self.assertEqual((stats["requests"], stats["hits"], stats["misses"]), (101, 100, 1), out)
        m = re.search(r"Graphs: (http://\S+/console/distributions/(E\w+)) \(log in with (\S+) and (\S+)\)", out)
        self.assertIsNotNone(m, out)
        url, dist_id, key, secret = m.groups()

        # The printed console page and its cache page show the traffic (HTTP Basic, as scripts use).
        auth = "Basic " + base64.b64encode(("%s:%s" % (key, secret)).encode()).decode()
        page = urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": auth}), timeout=10).read().decode()
        self.assertIn('id="total-requests">101<', page)
        cache = json.loads(urllib.request.urlopen(urllib.request.Request(url + "/cache?format=json",
                                                                         headers={"Authorization": auth}), timeout=10).read())
        self.assertEqual([(o["path"], o["hits"]) for o in cache["byHits"]], [("/index.html", 100)])
        self.assertTrue(dist_id)


if __name__ == "__main__":
    unittest.main()
