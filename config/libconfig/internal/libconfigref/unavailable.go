//go:build !libconfigref

package libconfigref

// Available reports whether the reference library is compiled in.
const Available = false

// ParseFile always fails with ErrUnavailable in a build without the
// libconfigref tag.
func ParseFile(path string, includeDir string) (*Node, error) {
	return nil, ErrUnavailable
}
