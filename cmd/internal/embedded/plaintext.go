package embedded

import "github.com/triad-mpc/triad/protocol"

// PlaintextJoin reads both files as the protocol would and joins them in the clear, in the
// protocol's column order, for comparison.
func PlaintextJoin(e Spec) ([][]float64, []float64, []string, error) {
	e.Stdout = nil // step 1 has been reported already
	tables, err := ReadControllers(e)
	if err != nil {
		return nil, nil, nil, err
	}
	a, b := tables[protocol.ControllerA], tables[protocol.ControllerB]
	byID := make(map[string][]int64, len(b.IDs))
	for i, id := range b.IDs {
		byID[string(id)] = b.Rows[i]
	}
	cols := append(append([]string(nil), a.Columns...), b.Columns...)
	var names []string
	yi := -1
	for i, c := range cols {
		if c == e.Outcome {
			yi = i
		} else {
			names = append(names, c)
		}
	}
	var X [][]float64
	var y []float64
	for i, id := range a.IDs {
		rb, ok := byID[string(id)]
		if !ok {
			continue
		}
		vals := append(append([]int64(nil), a.Rows[i]...), rb...)
		var x []float64
		for j, v := range vals {
			f := e.Settings.Join.Fixed.Decode(v)
			if j == yi {
				y = append(y, f)
			} else {
				x = append(x, f)
			}
		}
		X = append(X, x)
	}
	return X, y, names, nil
}
