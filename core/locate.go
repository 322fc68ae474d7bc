package core

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/cloudp11/cloudp11/config"
)

// locateConfig is config.Locate with the environment the boundary gives
// (InitOptions.Getenv): $CLOUDP11_CONF, $SECUROSYS_PKCS11_CONF, then
// config.DefaultConfigPaths. A variable that is set but names no file is an
// error naming it (docs/configuration.md, "Where the files are").
func locateConfig(getenv func(string) string) (path, source string, err error) {
	for _, env := range []string{config.EnvConfig, config.EnvConfigVendor} {
		p := getenv(env)
		if p == "" {
			continue
		}
		if err := checkFile(p); err != nil {
			return "", "", fmt.Errorf("%s=%s: %w", env, p, err)
		}
		return p, env, nil
	}
	tried := config.DefaultConfigPaths()
	for _, p := range tried {
		err := checkFile(p)
		if err == nil {
			return p, config.SourceDefault, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", "", fmt.Errorf("%s: %w", p, err)
		}
	}
	return "", "", fmt.Errorf("no primus.cfg found: %s and %s are not set, and none of %s exists",
		config.EnvConfig, config.EnvConfigVendor, strings.Join(tried, ", "))
}

func checkFile(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return errors.New("is a directory, not a file")
	}
	return nil
}

// locateSecrets is config.LocateSecrets with the given environment.
func locateSecrets(getenv func(string) string, configPath string) (path, source string) {
	for _, env := range []string{config.EnvSecrets, config.EnvSecretsVendor} {
		if p := getenv(env); p != "" {
			return p, env
		}
	}
	return filepath.Join(filepath.Dir(configPath), config.SecretsFileName), config.SourceDefault
}
