package app

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestReachable(t *testing.T) {
	for _, tt := range []struct{ listen, want string }{
		{"127.0.0.1:4580", "127.0.0.1:4580"},
		{"0.0.0.0:4580", "127.0.0.1:4580"},
		{"[::]:4580", "127.0.0.1:4580"},
		{":4580", "127.0.0.1:4580"},
		{"[::1]:4580", "[::1]:4580"},
		{"192.0.2.7:80", "192.0.2.7:80"},
	} {
		addr, err := net.ResolveTCPAddr("tcp", tt.listen)
		if err != nil {
			t.Fatal(err)
		}
		if got := reachable(addr); got != tt.want {
			t.Errorf("reachable(%s) = %s, want %s", tt.listen, got, tt.want)
		}
	}
}

// TestShellQuote runs each quoted string through a real shell.
func TestShellQuote(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, s := range []string{"/plain/path", "/with space/x", "it's", "$HOME", "`id`", "a\"b", "semi;colon", "new\nline", ""} {
		out, err := exec.Command(sh, "-c", "printf %s "+shellQuote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("shellQuote(%q) = %s: the shell read %q (%v)", s, shellQuote(s), out, err)
		}
	}
}

func TestAccessLogHint(t *testing.T) {
	for _, tt := range []struct {
		name     string
		s        Settings
		s3Creds  bool
		mentions []string
	}{
		{"dir", Settings{AccessLogDir: "/var/log/of"}, false, []string{"--access-log-dir /var/log/of"}},
		{"no endpoint", Settings{}, false, []string{"--s3-endpoint", "--access-log-dir", "OPENFRONT_S3_ACCESS_KEY_ID"}},
		{"endpoint, no credentials", Settings{S3Endpoint: "http://127.0.0.1:9000"}, false, []string{"set OPENFRONT_S3_ACCESS_KEY_ID and OPENFRONT_S3_SECRET_ACCESS_KEY", "http://127.0.0.1:9000"}},
		{"endpoint and credentials", Settings{S3Endpoint: "http://127.0.0.1:9000"}, true, []string{"logging bucket exists", "--access-log-dir"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id, secret := "", ""
			if tt.s3Creds {
				id, secret = "AK", "SK"
			}
			t.Setenv("OPENFRONT_S3_ACCESS_KEY_ID", id)
			t.Setenv("OPENFRONT_S3_SECRET_ACCESS_KEY", secret)
			hint := accessLogHint(&tt.s)
			for _, m := range tt.mentions {
				if !strings.Contains(hint, m) {
					t.Errorf("hint %q does not mention %q", hint, m)
				}
			}
		})
	}
}

func TestFirstStart_absolutePathsAndNoPlaceholders(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	api, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	var out bytes.Buffer
	firstStart(&out, &Settings{DataDir: "data", DomainSuffix: "cloudfront.localhost"}, firstStartInfo{api: api, keyID: "AKOFTEST", secret: "SECRET"})
	text := out.String()
	wd, _ := os.Getwd()
	for _, want := range []string{
		"export AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(wd, "data", "credentials") + "\n",
		"export AWS_ENDPOINT_URL=http://" + api.Addr().String() + "\n",
		"export AWS_DEFAULT_REGION=us-east-1\n",
		"Console:   http://" + api.Addr().String() + "/console ",
		"Data dir:  " + filepath.Join(wd, "data") + "\n",
		"AKOFTEST", "SECRET",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("first-start output lacks %q:\n%s", want, text)
		}
	}
	if strings.ContainsAny(text, "<>") {
		t.Errorf("placeholder in the first-start output:\n%s", text)
	}
}

func TestRun_helpAndVersion(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"-h"}, 0, "OPENFRONT_ACCESS_KEY_ID"},
		{[]string{"help"}, 0, "OPENFRONT_S3_SECRET_ACCESS_KEY"},
		{[]string{"serve", "-h"}, 0, "OPENFRONT_S3_ACCESS_KEY_ID"},
		{[]string{"serve", "--help"}, 0, "-api-addr"},
		{[]string{"--version"}, 0, "openfront " + Version},
		{[]string{"version"}, 0, "openfront " + Version},
		{[]string{"serve", "--no-such-flag"}, 2, ""},
		{[]string{"unicorns"}, 2, ""},
		{nil, 2, ""},
	} {
		var stdout, stderr bytes.Buffer
		if code := Run(tt.args, &stdout, &stderr); code != tt.code {
			t.Errorf("Run(%q) = %d, want %d (stderr %q)", tt.args, code, tt.code, stderr.String())
		}
		if !strings.Contains(stdout.String(), tt.out) {
			t.Errorf("Run(%q) stdout lacks %q:\n%s", tt.args, tt.out, stdout.String())
		}
	}
}
