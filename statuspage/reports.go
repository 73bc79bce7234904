package statuspage

// Reports are the problems customers report through a page's form.
type Reports struct{}

func (rp *Reports) routes() []Route { return nil }
