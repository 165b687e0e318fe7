// Command gitops-health prints how GitOps tools judge each object of a Kubernetes List read from
// standard input: the kstatus library of sigs.k8s.io/cli-utils (which Flux and kpt use) and, with
// a directory of Argo CD resource customizations (<group>/<Kind>/health.lua), the health script
// run in gopher-lua, the interpreter Argo CD embeds. One line per object:
//
//	<Kind>/<name> kstatus=<status> argocd=<status> | <kstatus message> | <argocd message>
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func main() {
	if len(os.Args) != 2 {
		fail(fmt.Errorf("usage: gitops-health ARGOCD_CUSTOMIZATIONS_DIR < list.json"))
	}
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	var list struct {
		Items []map[string]interface{} `json:"items"`
	}
	// As the API machinery reads JSON: integral numbers become int64, which kstatus expects.
	if err := json.Unmarshal(in, &list); err != nil {
		fail(err)
	}
	for _, item := range list.Items {
		u := &unstructured.Unstructured{Object: item}
		res, err := status.Compute(u)
		if err != nil {
			fail(err)
		}
		group := strings.SplitN(u.GetAPIVersion(), "/", 2)[0]
		script := filepath.Join(os.Args[1], group, u.GetKind(), "health.lua")
		health, message, err := argocdHealth(script, item)
		if err != nil {
			fail(err)
		}
		fmt.Printf("%s/%s kstatus=%s argocd=%s | %s | %s\n",
			u.GetKind(), u.GetName(), res.Status, health, res.Message, message)
	}
}

// argocdHealth runs a health.lua as Argo CD does: the object as the global table obj, the
// result a table with status and message.
func argocdHealth(script string, obj map[string]interface{}) (string, string, error) {
	L := lua.NewState()
	defer L.Close()
	L.SetGlobal("obj", toLua(L, obj))
	if err := L.DoFile(script); err != nil {
		return "", "", fmt.Errorf("%s: %w", script, err)
	}
	hs, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		return "", "", fmt.Errorf("%s returned no table", script)
	}
	return lua.LVAsString(hs.RawGetString("status")), lua.LVAsString(hs.RawGetString("message")), nil
}

func toLua(L *lua.LState, v interface{}) lua.LValue {
	switch v := v.(type) {
	case map[string]interface{}:
		t := L.NewTable()
		for k, e := range v {
			t.RawSetString(k, toLua(L, e))
		}
		return t
	case []interface{}:
		t := L.NewTable()
		for _, e := range v {
			t.Append(toLua(L, e))
		}
		return t
	case string:
		return lua.LString(v)
	case float64:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case bool:
		return lua.LBool(v)
	default:
		return lua.LNil
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gitops-health:", err)
	os.Exit(2)
}
