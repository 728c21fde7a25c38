// Package synth writes synthetic heart-failure data, a hospital's file and an insurer's,
// for the demo, the benchmarks and the tests. It is not cryptographic: the seed only
// makes runs repeatable.
package synth

import (
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// Spec describes synthetic data for the demo and the benchmarks.
type Spec struct {
	Rows    int     // rows per controller (the hospital's, if RowsB is set)
	RowsB   int     // the insurer's rows, if not Rows
	Overlap float64 // share of the smaller side's people that the other also has
	Missing float64 // chance that a value is missing
	ExtraA  int     // generic extra columns at the hospital (benchmarks)
	ExtraB  int     // generic extra columns at the insurer
	Seed    uint64
	Minimal bool // only the generic columns (and the outcome), for benchmarks of a set width
}

// patient is one synthetic person with everything both organisations might know.
type patient struct {
	id                                        string
	age, sex, ef, bnp, creat, sbp, diab, bmi  float64
	sodium, prior, gp, medcost, spec, chronic float64
	days                                      float64
}

var (
	hospitalColumns = []string{"patient_id", "age", "sex", "ejection_fraction", "nt_probnp", "creatinine", "systolic_bp", "diabetes", "bmi", "sodium", "hospital_days"}
	insurerColumns  = []string{"patient_id", "prior_admissions", "gp_visits", "medication_cost", "specialist_visits", "chronic_conditions"}
)

func newPatient(r *rand.Rand, i int) patient {
	p := patient{id: fmt.Sprintf("NL%09d", 100000000+i*7+r.IntN(7))}
	p.age = math.Round(clamp(72+11*r.NormFloat64(), 30, 101))
	p.sex = float64(r.IntN(2))
	p.ef = math.Round(clamp(38+12*r.NormFloat64(), 10, 75))
	p.bnp = math.Round(clamp(math.Exp(7.2+1.1*r.NormFloat64()+0.02*(p.age-72)-0.02*(p.ef-38)), 20, 35000))
	p.creat = round(clamp(math.Exp(0.1+0.3*r.NormFloat64()+0.005*(p.age-72)), 0.4, 8), 2)
	p.sbp = math.Round(clamp(128+18*r.NormFloat64(), 80, 210))
	p.diab = b2f(r.Float64() < 0.35)
	p.bmi = round(clamp(28+5*r.NormFloat64(), 16, 55), 1)
	p.sodium = math.Round(clamp(139+3.5*r.NormFloat64(), 120, 150))
	p.chronic = math.Round(clamp(2+1.5*r.NormFloat64()+p.diab+0.03*(p.age-72), 0, 9))
	p.prior = float64(poisson(r, 0.6+0.25*p.chronic+0.0003*p.bnp/10))
	p.gp = float64(poisson(r, 4+1.2*p.chronic+0.8*p.prior))
	p.spec = float64(poisson(r, 1+0.5*p.chronic+0.6*p.prior))
	p.medcost = round(clamp(math.Exp(6.5+0.25*p.chronic+0.6*r.NormFloat64()), 0, 2e5), 2)
	lin := 0.9 + 0.035*(p.age-72) - 0.04*(p.ef-38) + 0.25*math.Log(p.bnp/1300) + 0.9*(p.creat-1.1) +
		0.55*p.prior + 0.05*p.gp + 0.3*p.diab + 0.15*p.chronic - 0.04*(p.sodium-139)
	p.days = math.Max(0, math.Round(2.2*lin+1.8*r.NormFloat64()+2))
	return p
}

// Write writes hospital.csv and insurer.csv into dir and returns their paths.
func Write(dir string, s Spec) (string, string, error) {
	r := rand.New(rand.NewPCG(s.Seed, 0x747269616421))
	nA, nB := s.Rows, s.RowsB
	if nB == 0 {
		nB = nA
	}
	common := int(math.Round(float64(min(nA, nB)) * s.Overlap))
	people := make([]patient, nA+nB-common)
	for i := range people {
		people[i] = newPatient(r, i)
	}
	// The hospital has people[0:nA]; the insurer the last `common` of those and others.
	hosp := people[:nA]
	ins := append(append([]patient(nil), people[nA-common:nA]...), people[nA:]...)
	r.Shuffle(len(ins), func(i, j int) { ins[i], ins[j] = ins[j], ins[i] })

	aCols, bCols := hospitalColumns, insurerColumns
	if s.Minimal {
		aCols, bCols = []string{"patient_id", "hospital_days"}, []string{"patient_id"}
	}
	for k := range s.ExtraA {
		aCols = append(aCols, fmt.Sprintf("lab_%02d", k+1))
	}
	for k := range s.ExtraB {
		bCols = append(bCols, fmt.Sprintf("claim_%02d", k+1))
	}
	ha := filepath.Join(dir, "hospital.csv")
	hb := filepath.Join(dir, "insurer.csv")
	if err := writeCSV(ha, aCols, hosp, r, s.Missing); err != nil {
		return "", "", err
	}
	if err := writeCSV(hb, bCols, ins, r, s.Missing); err != nil {
		return "", "", err
	}
	return ha, hb, nil
}

func writeCSV(path string, cols []string, people []patient, r *rand.Rand, missing float64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	if err := w.Write(cols); err != nil {
		f.Close()
		return err
	}
	rec := make([]string, len(cols))
	for _, p := range people {
		for j, c := range cols {
			if c == "patient_id" {
				rec[j] = p.id
				continue
			}
			if r.Float64() < missing {
				rec[j] = ""
				continue
			}
			rec[j] = strconv.FormatFloat(p.value(c, r), 'f', -1, 64)
		}
		if err := w.Write(rec); err != nil {
			f.Close()
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (p patient) value(col string, r *rand.Rand) float64 {
	switch col {
	case "age":
		return p.age
	case "sex":
		return p.sex
	case "ejection_fraction":
		return p.ef
	case "nt_probnp":
		return p.bnp
	case "creatinine":
		return p.creat
	case "systolic_bp":
		return p.sbp
	case "diabetes":
		return p.diab
	case "bmi":
		return p.bmi
	case "sodium":
		return p.sodium
	case "hospital_days":
		return p.days
	case "prior_admissions":
		return p.prior
	case "gp_visits":
		return p.gp
	case "medication_cost":
		return p.medcost
	case "specialist_visits":
		return p.spec
	case "chronic_conditions":
		return p.chronic
	}
	// Generic benchmark columns: noisy readings tied to the outcome.
	return round(p.days*0.3+10*r.NormFloat64()+50, 3)
}

func clamp(x, lo, hi float64) float64 { return math.Min(hi, math.Max(lo, x)) }

func round(x float64, digits int) float64 {
	s := math.Pow(10, float64(digits))
	return math.Round(x*s) / s
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func poisson(r *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
