package cref

import (
	"os"
	"path/filepath"
)

// ModelPath returns the default model for tests: $RADIXLM_MODEL, or
// models/stories260K/stories260K.bin found in a directory above the working
// directory (the repository root); "" when neither exists.
func ModelPath() string {
	if p := os.Getenv("RADIXLM_MODEL"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, "models", "stories260K", "stories260K.bin")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
