package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestHelpAndVersion checks --help/-h and --version/-v: exit 0, output on stdout.
func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	for _, flag := range []string{"--help", "-h"} {
		res := runBin(t, flag)
		if res.code != 0 {
			t.Errorf("%s: %s", flag, res)
		}
		for _, want := range []string{
			"valkey-node [/path/to/valkey.conf] [--directive value ...]",
			"--tls-port", "gen-certs", "check-tls",
		} {
			if !strings.Contains(res.stdout, want) {
				t.Errorf("%s output lacks %q:\n%s", flag, want, res.stdout)
			}
		}
	}
	version := regexp.MustCompile(`^valkey-node v=\d+\.\d+\.\d+\S* redis_version=\d+\.\d+\.\d+ go=go\S+ bits=64\n$`)
	for _, flag := range []string{"--version", "-v"} {
		res := runBin(t, flag)
		if res.code != 0 || !version.MatchString(res.stdout) {
			t.Errorf("%s: want one line matching %s\n%s", flag, version, res)
		}
	}
	// --help also wins when it follows directives, as with valkey-server
	if res := runBin(t, "--port", "1", "--help"); res.code != 0 || !strings.Contains(res.stdout, "gen-certs") {
		t.Errorf("--port 1 --help: %s", res)
	}
}

// TestBadInput starts the binary with refused configurations: each must exit 1 before serving, with a
// message on stderr that names the problem.
func TestBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certs := devCerts(t)
	port := strconv.Itoa(freePort(t))
	base := []string{"--bind", "127.0.0.1", "--port", port} // a safe node, should the refusal be missing

	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	header := "bind 127.0.0.1\nport " + port + "\n"
	badLine := write("bad-line.conf", header+"# a comment\nfrobnicate yes\n")
	badValue := write("bad-value.conf", header+"maxclients lots\n")
	unbalanced := write("unbalanced.conf", header+"logfile \"unterminated\n")
	badInclude := write("bad-include.conf", header+"include "+filepath.Join(dir, "absent.conf")+"\n")
	tooManyArgs := write("too-many.conf", header+"timeout 1 2\n")

	tlsWith := func(cert, key, ca string) []string {
		return append(append([]string{}, base...), "--tls-port", strconv.Itoa(freePort(t)),
			"--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", ca)
	}
	missingCert := filepath.Join(dir, "missing-server.crt")
	missingKey := filepath.Join(dir, "missing-server.key")
	missingCA := filepath.Join(dir, "missing-ca.crt")
	garbage := write("garbage.crt", "this is not PEM\n")

	cases := []struct {
		name string
		args []string
		want []string // every one must appear on stderr
	}{
		{"unknown directive", append(base, "--frobnicate", "yes"),
			[]string{"Bad directive or wrong number of arguments", "frobnicate"}},
		{"wrong number of arguments", append(base, "--timeout", "1", "2"),
			[]string{"Bad directive or wrong number of arguments", "timeout"}},
		{"not an integer", append(base, "--maxclients", "lots"), []string{"maxclients lots", "integer"}},
		{"port out of range", append(base, "--port", "70000"), []string{"port 70000", "65535"}},
		{"bad enum", append(base, "--loglevel", "loud"), []string{"loglevel loud", "notice"}},
		{"bad log-format", append(base, "--log-format", "xml"), []string{"log-format xml"}},
		{"bad yes/no", append(base, "--protected-mode", "maybe"), []string{"protected-mode maybe"}},
		{"daemonize refused", append(base, "--daemonize", "yes"), []string{"daemonize yes", "supervisor"}},
		{"bad save points", append(base, "--save", "900"), []string{"save 900", "Invalid save parameters"}},
		{"bad appendfsync", append(base, "--appendfsync", "sometimes"), []string{"appendfsync sometimes"}},
		{"cluster link tuning not supported yet", append(base, "--cluster-link-sendbuf-limit", "5"), []string{"cluster-link-sendbuf-limit 5", "not supported yet"}},
		{"nowhere to listen", []string{"--bind", "127.0.0.1", "--port", "0", "--tls-port", "0"}, []string{"not listen anywhere"}},
		{"stray argument", []string{badLine, "stray"}, []string{"stray"}},
		{"config file: bad directive", []string{badLine},
			[]string{badLine, "line 4", "frobnicate yes", "Bad directive or wrong number of arguments"}},
		{"config file: bad value", []string{badValue}, []string{badValue, "line 3", "maxclients lots"}},
		{"config file: wrong number of arguments", []string{tooManyArgs},
			[]string{tooManyArgs, "line 3", "Bad directive or wrong number of arguments"}},
		{"config file: unbalanced quotes", []string{unbalanced}, []string{unbalanced, "line 3", "Unbalanced quotes"}},
		{"config file missing", []string{filepath.Join(dir, "nope.conf")},
			[]string{"can't open config file", filepath.Join(dir, "nope.conf")}},
		{"config file is a directory", []string{dir}, []string{"can't open config file", dir}},
		{"include missing", []string{badInclude}, []string{"can't open config file", filepath.Join(dir, "absent.conf")}},
		{"TLS certificate missing", tlsWith(missingCert, filepath.Join(certs, "server.key"), filepath.Join(certs, "ca.crt")),
			[]string{missingCert}},
		{"TLS key missing", tlsWith(filepath.Join(certs, "server.crt"), missingKey, filepath.Join(certs, "ca.crt")),
			[]string{missingKey}},
		{"TLS CA missing", tlsWith(filepath.Join(certs, "server.crt"), filepath.Join(certs, "server.key"), missingCA),
			[]string{missingCA}},
		{"TLS certificate unreadable", tlsWith(garbage, filepath.Join(certs, "server.key"), filepath.Join(certs, "ca.crt")),
			[]string{garbage}},
		{"TLS key does not match", tlsWith(filepath.Join(certs, "client.crt"), filepath.Join(certs, "server.key"), filepath.Join(certs, "ca.crt")),
			[]string{filepath.Join(certs, "server.key"), "mismatch"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := runBin(t, tc.args...)
			if res.code != 1 {
				t.Errorf("exit code %d, want 1\n%s", res.code, res)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr lacks %q\n%s", w, res)
				}
			}
		})
	}
}

// TestPortInUse: a port that is taken makes the node exit 1 with Valkey's message.
func TestPortInUse(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port

	res := runBin(t, "--bind", "127.0.0.1", "--port", strconv.Itoa(taken))
	want := "Could not create server TCP listening socket 127.0.0.1:" + strconv.Itoa(taken) + ": bind: Address already in use"
	if res.code != 1 || !strings.Contains(res.stderr, want) {
		t.Errorf("plain port taken: want exit 1 and %q\n%s", want, res)
	}

	certs := devCerts(t)
	args := append([]string{"--bind", "127.0.0.1", "--port", "0", "--tls-port", strconv.Itoa(taken)}, tlsFlags(certs)...)
	res = runBin(t, args...)
	if res.code != 1 || !strings.Contains(res.stderr, want) {
		t.Errorf("TLS port taken: want exit 1 and %q\n%s", want, res)
	}
}

// TestConfigFileAndFlags: directives come from the file (with include and quoting), command-line flags
// override it, and a later flag overrides an earlier one; multi-word directives take several words.
func TestConfigFileAndFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	included := filepath.Join(dir, "included.conf")
	if err := os.WriteFile(included, []byte("timeout 7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	filePort := freePort(t)
	conf := filepath.Join(dir, "valkey.conf")
	content := strings.Join([]string{
		"# valkey.conf for the test",
		"bind 127.0.0.1",
		"port " + strconv.Itoa(filePort),
		"maxclients 100",
		"   slowlog-max-len   64   ",
		`requirepass "sec ret"`,
		"include " + included,
		"",
	}, "\n")
	if err := os.WriteFile(conf, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	// the file names filePort; the command line moves the node to port
	port := freePort(t)
	cmdArgs := []string{conf, "--port", strconv.Itoa(port), "--maxclients", "200", "--maxclients", "300",
		"--bind", "127.0.0.1", "-::1"}
	nd := startRaw(t, port, cmdArgs...)

	rdb := redis.NewClient(&redis.Options{Addr: nd.addr(), Password: "sec ret", Protocol: 2, MaxRetries: -1})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for name, want := range map[string]string{
		"port":            strconv.Itoa(port),
		"maxclients":      "300",
		"timeout":         "7",
		"slowlog-max-len": "64",
		"bind":            "127.0.0.1 -::1",
	} {
		got, err := rdb.ConfigGet(ctx, name).Result()
		if err != nil {
			t.Fatalf("CONFIG GET %s: %v", name, err)
		}
		if got[name] != want {
			t.Errorf("CONFIG GET %s = %q, want %q", name, got[name], want)
		}
	}
	if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(filePort)), time.Second); err == nil {
		c.Close()
		t.Errorf("the node also listens on the file's port %d", filePort)
	}
}

// startRaw starts the binary with exactly args (no --bind/--port/--dir added), waiting for PING on the
// plain port.
func startRaw(t *testing.T, port int, args ...string) *node {
	t.Helper()
	return startNode(t, nodeSpec{raw: args, rawPort: port})
}
