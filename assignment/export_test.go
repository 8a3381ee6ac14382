package assignment

// WaitReads waits for c's background reads of the store to return, so
// that a test knows whether they filled the cache. It must not run
// while a Load may start a read.
func WaitReads(c *Cache) { c.wg.Wait() }
