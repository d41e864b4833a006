"""A new user's first hour (issue 17): the first-start output's commands work when pasted, help and
version exit 0 and name the OPENFRONT_* variables, a failed start leaves nothing behind, and a failed
access-log delivery names what to set."""

import http.client
import os
import re
import subprocess
import tempfile
import time
import unittest

from harness import Server, _rmtree_later, binary, dist_config, free_port, wait_deployed


def run(args, **kw):
    return subprocess.run([binary()] + args, capture_output=True, text=True, timeout=30, **kw)


class TestHelpAndVersion(unittest.TestCase):

    def test_help_exits_zero_and_names_the_variables(self):
        for args in (["-h"], ["--help"], ["help"], ["serve", "-h"], ["serve", "--help"]):
            with self.subTest(args=args):
                p = run(args)
                self.assertEqual(p.returncode, 0, p.stderr)
                for var in ("OPENFRONT_ACCESS_KEY_ID", "OPENFRONT_SECRET_ACCESS_KEY",
                            "OPENFRONT_S3_ACCESS_KEY_ID", "OPENFRONT_S3_SECRET_ACCESS_KEY"):
                    self.assertIn(var, p.stdout)
        self.assertIn("--api-addr", run(["serve", "-h"]).stdout.replace("  -api-addr", "  --api-addr"))

    def test_version(self):
        for args in (["--version"], ["version"]):
            with self.subTest(args=args):
                p = run(args)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertRegex(p.stdout, r"^openfront \S+\n$")


class TestFailedStartLeavesNothing(unittest.TestCase):

    def setUp(self):
        self.cwd = tempfile.mkdtemp(prefix="openfront-e2e-failed-")
        _rmtree_later(self.cwd)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("OPENFRONT_")}

    def assertNothingLeft(self):
        self.assertEqual(os.listdir(self.cwd), [], "a failed start left files behind")

    def test_bad_flag(self):
        p = subprocess.run([binary(), "serve", "--no-such-flag"], cwd=self.cwd, env=self.env,
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn("no-such-flag", p.stderr)
        self.assertIn("openfront serve -h", p.stderr)
        self.assertNothingLeft()

    def test_port_taken(self):
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        self.addCleanup(s.close)
        taken = "127.0.0.1:%d" % s.getsockname()[1]
        for flag in ("--api-addr", "--edge-addr"):
            with self.subTest(flag=flag):
                args = {"--api-addr": "127.0.0.1:%d" % free_port(), "--edge-addr": "127.0.0.1:%d" % free_port()}
                args[flag] = taken
                p = subprocess.run([binary(), "serve", "--api-addr", args["--api-addr"], "--edge-addr", args["--edge-addr"],
                                    "--edge-tls-addr", "", "--rtmp-addr", ""],
                                   cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=30)
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertIn(taken, p.stderr)
                self.assertNothingLeft()


class TestFirstStartOutput(unittest.TestCase):

    def test_pasted_commands_work(self):
        srv = Server(creds=False, flags=False)
        # A relative data dir and an API on every interface: the output must still give
        # an absolute path and an address a client can dial.
        srv.extra_args = ["--data-dir", "rel-data", "--api-addr", ":%d" % srv.api_port,
                          "--edge-addr", "127.0.0.1:%d" % srv.edge_port,
                          "--edge-tls-addr", "127.0.0.1:%d" % srv.edge_tls_port, "--rtmp-addr", ""]
        srv.start()
        try:
            out = srv.stdout()
            data_dir = os.path.join(os.path.realpath(srv.cwd), "rel-data")
            self.assertNotIn("<", out, "a placeholder in the first-start output:\n" + out)
            self.assertIn("Data dir:  " + data_dir + "\n", out)
            cert = re.search(r"Edge TLS certificate \(self-signed, \*\.cloudfront\.localhost\): (\S+)", out)
            self.assertTrue(cert, out)
            self.assertTrue(os.path.isfile(cert.group(1)), cert.group(1))
            self.assertIn("https://127.0.0.1:%d" % srv.edge_tls_port, out)
            lines = [l.strip() for l in out.splitlines() if re.match(r"^  (unset|export|aws) ", l)]
            self.assertIn("export AWS_ENDPOINT_URL=http://127.0.0.1:%d" % srv.api_port, lines)
            self.assertIn("export AWS_SHARED_CREDENTIALS_FILE=%s" % os.path.join(data_dir, "credentials"), lines)
            self.assertEqual(lines[-1], "aws cloudfront list-distributions")

            # Pasted into a shell that has other AWS settings (which the lines must override),
            # from another directory; then boto3 with nothing but that environment.
            env = {"PATH": os.environ["PATH"], "HOME": srv.tmp,
                   "AWS_ACCESS_KEY_ID": "AKIAWRONGWRONGWRONG0", "AWS_SECRET_ACCESS_KEY": "wrong",
                   "AWS_PROFILE": "someone-else", "AWS_CONFIG_FILE": os.path.join(srv.tmp, "no-config")}
            script = "\n".join(lines) + "\n" + (
                "python3 -c 'import boto3; c = boto3.client(\"cloudfront\"); "
                "print(\"BOTO3\", c.list_distributions()[\"DistributionList\"][\"Quantity\"])'\n")
            p = subprocess.run(["bash", "-ec", script], cwd="/", env=env, capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 0, "pasted commands failed:\n%s\n--- stdout\n%s\n--- stderr\n%s" % (script, p.stdout, p.stderr))
            # (the AWS CLI prints nothing for an empty list: its exit status is the check)
            self.assertIn("BOTO3 0", p.stdout)
        finally:
            self.assertEqual(srv.stop(), 0, srv.stderr())

    def test_client_rejecting_the_self_signed_certificate_is_logged_as_such(self):
        # curl without --cacert refuses the edge's self-signed certificate: the log says so at
        # INFO and names the file to give it, not a server error; with --cacert it is served.
        srv = Server().start()
        try:
            url = "https://d111111abcdef8.cloudfront.localhost:%d/" % srv.edge_tls_port
            resolve = "d111111abcdef8.cloudfront.localhost:%d:127.0.0.1" % srv.edge_tls_port
            p = subprocess.run(["curl", "-s", "-o", "/dev/null", "--resolve", resolve, url], capture_output=True, timeout=30)
            self.assertEqual(p.returncode, 60, "curl should refuse the self-signed certificate")
            cert = os.path.join(srv.data_dir, "edge-cert.pem")
            p = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", cert, "--resolve", resolve, url],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 0, p.stderr)
            deadline = time.time() + 5
            while "rejected the edge's certificate" not in srv.stderr() and time.time() < deadline:
                time.sleep(0.05)
            line = next((l for l in srv.stderr().splitlines() if "rejected the edge's certificate" in l), "")
            self.assertIn("level=INFO", line, srv.stderr())
            self.assertIn("certificate=" + cert, line)
            self.assertNotIn("TLS handshake error", srv.stderr())
            self.assertNotIn("level=ERROR", srv.stderr())
        finally:
            self.assertEqual(srv.stop(), 0, srv.stderr())

    def test_no_credentials_block_with_environment_credentials(self):
        srv = Server().start()  # OPENFRONT_ACCESS_KEY_ID and _SECRET_ set by the harness
        try:
            self.assertNotIn("aws_secret_access_key", srv.stdout())
            self.assertFalse(os.path.exists(os.path.join(srv.data_dir, "credentials")))
        finally:
            self.assertEqual(srv.stop(), 0, srv.stderr())


class TestAccessLogDeliveryErrors(unittest.TestCase):
    """A failed delivery is logged with the flag or variable that fixes it."""

    def deliver_once(self, extra_args):
        srv = Server(extra_args=extra_args).start()
        try:
            cf = srv.client()
            bucket = "logs-e2e.s3.amazonaws.com"
            d = cf.create_distribution(DistributionConfig=dist_config(
                Logging={"Enabled": True, "IncludeCookies": False, "Bucket": bucket, "Prefix": "edge/"}))["Distribution"]
            wait_deployed(cf, d["Id"])
            conn = http.client.HTTPConnection("127.0.0.1", srv.edge_port, timeout=30)
            conn.request("GET", "/", headers={"Host": d["DomainName"]})
            conn.getresponse().read()
            conn.close()
        finally:
            srv.stop(40)  # delivers (and fails) on the way out
        return srv.stderr()

    def test_access_log_dir_not_a_directory(self):
        tmp = tempfile.mkdtemp(prefix="openfront-e2e-logfile-")
        _rmtree_later(tmp)
        not_dir = os.path.join(tmp, "file")
        with open(not_dir, "w") as f:
            f.write("x")
        err = self.deliver_once(["--access-log-dir", not_dir])
        self.assertIn("access log delivery failed", err)
        self.assertIn("--access-log-dir %s must be a writable directory" % not_dir, err)

    def test_s3_endpoint_without_credentials(self):
        endpoint = "http://127.0.0.1:%d" % free_port()  # nothing listens
        err = self.deliver_once(["--s3-endpoint", endpoint])
        self.assertIn("access log delivery failed", err)
        self.assertIn("set OPENFRONT_S3_ACCESS_KEY_ID and OPENFRONT_S3_SECRET_ACCESS_KEY for --s3-endpoint " + endpoint, err)


if __name__ == "__main__":
    unittest.main()
