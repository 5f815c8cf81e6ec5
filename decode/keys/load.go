package keys

import (
	"errors"
	"os"
	"strings"
)

// maxKeyFile bounds the size of a key file read whole (a charon log at level
// 4 grows fast; one of a long-running daemon can be split first).
const maxKeyFile = 256 << 20

// Load reads one key file: a Wireshark decryption table (IKEv2, IKEv1 or
// ESP, told apart by their columns) or a charon log at level 4 (told by its
// "NN[GRP]" lines). Warnings name keys of a log that could not be used.
// The file is only read.
func Load(path string) (s *Store, warnings []string, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if fi.IsDir() {
		return nil, nil, &FileError{File: path, Err: errors.New("is a directory; give the tables inside it, one --keys each")}
	}
	if fi.Size() > maxKeyFile {
		return nil, nil, &FileError{File: path, Err: errors.New("larger than 256 MiB")}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return Parse(string(b), path)
}

// Parse reads the text of a key file named name (for messages); see Load.
func Parse(text, name string) (*Store, []string, error) {
	if looksLikeCharonLog(text) {
		s, w, err := parseCharonLog(strings.NewReader(text), name)
		if err == nil && s.Empty() {
			err = &FileError{File: name, Err: errors.New("a charon log without keys: keys are logged with ike and chd at level 4")}
		}
		return s, w, err
	}
	s, err := parseTable(strings.NewReader(text), name)
	if err == nil && s.Empty() {
		err = &FileError{File: name, Err: errors.New("no key: neither a Wireshark decryption table nor a charon log")}
	}
	return s, nil, err
}

// LoadAll reads every file into one store.
func LoadAll(paths []string) (*Store, []string, error) {
	all := &Store{}
	var warnings []string
	for _, p := range paths {
		s, w, err := Load(p)
		if err != nil {
			return nil, warnings, err
		}
		warnings = append(warnings, w...)
		all.merge(s)
	}
	return all, warnings, nil
}
