package fsredis

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/seed27eed597/flagship-go/assignment"
)

// mergeScript saves one key's assignments with assignment.MergeOne's rule,
// atomically, on the server, so that concurrent writers in several
// processes cannot lose an activation.
//
// KEYS[1] is the hash. ARGV[1] is the save time (unix ms), ARGV[2] the TTL
// (ms), then come quadruples: variation group id, JSON value, "1" if the
// value is activated else "0", variation id. An activated value is always
// written. A non-activated one is written unless the field holds an
// activated assignment of the same variation: a JSON object with
// Activated true and that VariationID, names matched regardless of case as
// encoding/json does when Load decodes them (so what Load skips as
// undecodable is overwritten). Then ts is set and the expiry refreshed, in
// the same script. A call with no quadruples on a missing key writes
// nothing.
const mergeScript = `
local function activated(cur, vid)
  local ok, dec = pcall(cjson.decode, cur)
  if not ok or type(dec) ~= 'table' then
    return false
  end
  local act, same = false, false
  for k, v in pairs(dec) do
    if type(k) == 'string' then
      local name = string.lower(k)
      if name == 'activated' then
        act = v == true
      elseif name == 'variationid' then
        same = v == vid
      end
    end
  end
  return act and same
end

local key = KEYS[1]
if #ARGV < 3 and redis.call('EXISTS', key) == 0 then
  return 0
end
for i = 3, #ARGV, 4 do
  local field, value, vid = ARGV[i], ARGV[i + 1], ARGV[i + 3]
  local write = ARGV[i + 2] == '1'
  if not write then
    local cur = redis.call('HGET', key, field)
    write = not cur or not activated(cur, vid)
  end
  if write then
    redis.call('HSET', key, field, value)
  end
end
redis.call('HSET', key, 'ts', ARGV[1])
redis.call('PEXPIRE', key, ARGV[2])
return 1
`

// Save merges each entry into its key's hash with [assignment.MergeOne]'s
// rule, enforced by a Lua script on the server so that it holds whatever
// other writers (other processes, the decision API) do: each variation
// group takes the saved assignment, except that an activated assignment
// stays activated when the same variation is saved non-activated. The
// script also sets "ts" to the save time and refreshes the key's expiry
// to the TTL, atomically with the writes.
//
// Save sends one script call per entry (entries may be in different
// cluster slots), all in one pipeline: one round trip, one per node with a
// cluster client. After a server restart or SCRIPT FLUSH, the entries the
// server does not know the script for are sent again with the script's
// source in a second pipeline. An entry with no assignments refreshes the
// expiry of an existing key and creates none. A variation group named "ts"
// is skipped: that field holds the save time. Errors wrap the client's; a
// failed Save may have saved some entries, and saving them again is safe.
func (s *Store) Save(ctx context.Context, entries []assignment.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	ts := s.now().UnixMilli()
	keys := make([][]string, len(entries))
	args := make([][]any, len(entries))
	for i, e := range entries {
		keys[i] = []string{s.prefix + e.Key}
		a, err := scriptArgs(ts, s.ttlMS, e.Assignments)
		if err != nil {
			return fmt.Errorf("fsredis: save: %w", err)
		}
		args[i] = a
	}

	pipe := s.client.Pipeline()
	cmds := make([]*redis.Cmd, len(entries))
	for i := range entries {
		cmds[i] = s.merge.EvalSha(ctx, pipe, keys[i], args[i]...)
	}
	if err := execPipe(ctx, pipe); err != nil {
		return fmt.Errorf("fsredis: save: %w", err)
	}
	var retry []int
	for i, cmd := range cmds {
		err := scriptErr(cmd)
		switch {
		case err == nil:
		case redis.HasErrorPrefix(err, "NOSCRIPT"):
			retry = append(retry, i) // the script did not run: safe to resend
		default:
			return fmt.Errorf("fsredis: save: %w", err)
		}
	}
	if len(retry) == 0 {
		return nil
	}

	pipe = s.client.Pipeline()
	cmds = cmds[:0]
	for _, i := range retry {
		cmds = append(cmds, s.merge.Eval(ctx, pipe, keys[i], args[i]...))
	}
	if err := execPipe(ctx, pipe); err != nil {
		return fmt.Errorf("fsredis: save: %w", err)
	}
	for _, cmd := range cmds {
		if err := scriptErr(cmd); err != nil {
			return fmt.Errorf("fsredis: save: %w", err)
		}
	}
	return nil
}

// scriptErr returns the error of one call of the merge script.
func scriptErr(cmd *redis.Cmd) error {
	v, err := cmd.Result()
	if err == nil && v == nil {
		return errNoReply // the script always returns a number
	}
	return err
}

// scriptArgs returns mergeScript's ARGV for one entry.
func scriptArgs(ts, ttlMS int64, as assignment.Assignments) ([]any, error) {
	args := make([]any, 2, 2+4*len(as))
	args[0], args[1] = ts, ttlMS
	for vg, a := range as {
		if vg == tsField {
			continue
		}
		v, err := json.Marshal(wireAssignment{VariationID: a.VariationID, Activated: a.Activated})
		if err != nil {
			return nil, err
		}
		flag := "0"
		if a.Activated {
			flag = "1"
		}
		args = append(args, vg, v, flag, a.VariationID)
	}
	return args, nil
}
