package app

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// rootCredentials returns the API's root key pair: from the environment,
// else from <data-dir>/credentials, else a new pair that is written there
// in the AWS shared-credentials format (generated: the caller prints them
// once, see firstStart).
func rootCredentials(dataDir string) (id, secret string, generated bool, err error) {
	id, secret = os.Getenv("OPENFRONT_ACCESS_KEY_ID"), os.Getenv("OPENFRONT_SECRET_ACCESS_KEY")
	if id != "" && secret != "" {
		return id, secret, false, nil
	}
	if id != "" || secret != "" {
		return "", "", false, errors.New("set both OPENFRONT_ACCESS_KEY_ID and OPENFRONT_SECRET_ACCESS_KEY, or neither")
	}
	path := filepath.Join(dataDir, "credentials")
	id, secret, err = readCredentials(path)
	if err == nil {
		return id, secret, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", "", false, err
	}
	id = "AKOF" + rand.Text()[:16]
	secret = rand.Text() + rand.Text()[:14]
	content := fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n", id, secret)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return "", "", false, fmt.Errorf("write credentials: %w", err)
	}
	return id, secret, true, nil
}

// readCredentials reads the [default] profile of a shared-credentials file.
func readCredentials(path string) (id, secret string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section != "default" {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			id = strings.TrimSpace(v)
		case "aws_secret_access_key":
			secret = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return "", "", fmt.Errorf("read credentials %s: %w", path, err)
	}
	if id == "" || secret == "" {
		return "", "", fmt.Errorf("credentials file %s has no [default] key pair", path)
	}
	return id, secret, nil
}
