// Package hsmdconfig is the configuration of hsmd: a file in libconfig
// syntax (the syntax of primus.cfg), read with package config/libconfig and
// decoded into a typed Config with defaults. docs/hsmd.md documents every
// setting; Format writes a Config back in the same syntax.
//
// Load reports problems with the file, line, column and setting path
// ("hsmd.cfg:12:5: limits.max_connections: must be 1 to 1000000, not 0").
// Unknown settings are not errors but warnings, with a hint when the name is
// close to a known one, so a configuration written for a newer hsmd still
// loads. Relative paths are resolved against the configuration file's
// folder.
//
// # Concurrency
//
// Load and Parse share no state. A Config is a plain value: read it from
// many goroutines, but do not change it while others read it.
//
// # Limits
//
// The parser's default limits apply (16 MiB per file, 200 levels of
// nesting, 100000 settings); every numeric setting has a documented range,
// checked by Validate.
package hsmdconfig
