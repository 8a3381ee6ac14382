package assignment

var _ LocalStore = (*File)(nil)

// LocalReads implements [LocalStore]: a File is read from the local
// disk's page cache, without a network round trip.
func (*File) LocalReads() bool { return true }
