// Package archtest holds tests of the code base's shape: which package may
// import which. It has no code of its own.
package archtest
