package hookfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf16"
)

// teams is a Workflows trigger: the signature checked, the message an
// Adaptive Card in Teams' envelope within 28 KB; 202 and nothing else.
func (f *Fake) teams(w http.ResponseWriter, r *http.Request) {
	body := readBody(r)
	f.mu.Lock()
	defer f.mu.Unlock()
	room := r.PathValue("id")
	if r.URL.Query().Get("sig") != TeamsSig {
		reply(w, http.StatusUnauthorized, map[string]any{"error": map[string]string{"code": "DirectApiAuthorizationRequired", "message": "The request must be authenticated"}})
		return
	}
	if f.gate(w, "teams", room) {
		return
	}
	var msg struct {
		Type        string `json:"type"`
		Attachments []struct {
			ContentType string `json:"contentType"`
			Content     struct {
				Type    string            `json:"type"`
				Version string            `json:"version"`
				Body    []json.RawMessage `json:"body"`
			} `json:"content"`
		} `json:"attachments"`
	}
	switch err := json.Unmarshal(body, &msg); {
	case err != nil:
		f.violate("teams: not JSON: %v", err)
	case msg.Type != "message" || len(msg.Attachments) != 1:
		f.violate("teams: not a message with one attachment: %s", body)
	case msg.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" || msg.Attachments[0].Content.Type != "AdaptiveCard":
		f.violate("teams: the attachment is not an Adaptive Card: %s", body)
	case msg.Attachments[0].Content.Version > "1.5" || len(msg.Attachments[0].Content.Body) == 0:
		f.violate("teams: card version %q or an empty body", msg.Attachments[0].Content.Version)
	case len(body) > 28<<10:
		f.violate("teams: %d bytes, over Teams' 28 KB", len(body))
	}
	f.add(&Message{Platform: "teams", Room: room, ID: strconv.Itoa(f.seq + 1), Body: string(body)})
	w.WriteHeader(http.StatusAccepted)
}

// discordMessage is what the fake checks of Discord's execute and edit
// bodies.
type discordMessage struct {
	Content         string `json:"content"`
	AllowedMentions *struct {
		Parse []string `json:"parse"`
	} `json:"allowed_mentions"`
	Embeds []struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		Fields      []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"fields"`
		Footer *struct {
			Text string `json:"text"`
		} `json:"footer"`
	} `json:"embeds"`
	Components []struct {
		Type       int `json:"type"`
		Components []struct {
			Type     int    `json:"type"`
			Style    int    `json:"style"`
			Label    string `json:"label"`
			URL      string `json:"url"`
			CustomID string `json:"custom_id"`
		} `json:"components"`
	} `json:"components"`
}

func units(s string) int { return len(utf16.Encode([]rune(s))) }

// checkDiscord checks a body as Discord would, and returns it as Discord
// keeps it: without its components unless withComponents (Discord drops
// them silently, which the fake counts as a violation: the buttons would
// be lost).
func (f *Fake) checkDiscord(body []byte, withComponents bool) map[string]json.RawMessage {
	var m discordMessage
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || json.Unmarshal(body, &raw) != nil {
		f.violate("discord: not JSON: %v", err)
		return nil
	}
	if m.AllowedMentions == nil || m.AllowedMentions.Parse == nil || len(m.AllowedMentions.Parse) != 0 {
		f.violate("discord: allowed_mentions is not {\"parse\": []}: %s", body)
	}
	if units(m.Content) > 2000 || len(m.Embeds) > 10 {
		f.violate("discord: content over 2000 or more than 10 embeds")
	}
	total := 0
	for _, e := range m.Embeds {
		total += units(e.Title) + units(e.Description)
		if units(e.Title) > 256 || units(e.Description) > 4096 || len(e.Fields) > 25 {
			f.violate("discord: embed title %d, description %d, %d fields", units(e.Title), units(e.Description), len(e.Fields))
		}
		for _, fl := range e.Fields {
			total += units(fl.Name) + units(fl.Value)
			if units(fl.Name) > 256 || units(fl.Value) > 1024 {
				f.violate("discord: field %q over its limits", fl.Name)
			}
		}
		if e.Footer != nil {
			total += units(e.Footer.Text)
		}
	}
	if total > 6000 {
		f.violate("discord: embeds hold %d characters, over 6000", total)
	}
	if len(m.Components) > 5 {
		f.violate("discord: %d action rows, over 5", len(m.Components))
	}
	for _, row := range m.Components {
		if row.Type != 1 || len(row.Components) == 0 || len(row.Components) > 5 {
			f.violate("discord: a component of type %d with %d buttons is not an action row", row.Type, len(row.Components))
		}
		for _, b := range row.Components {
			// A webhook no application owns may send link buttons only.
			if b.Type != 2 || b.Style != 5 || b.CustomID != "" || b.URL == "" || len(b.URL) > 512 || units(b.Label) > 80 {
				f.violate("discord: %+v is not a link button a webhook may send", b)
			}
		}
	}
	if _, ok := raw["components"]; ok && !withComponents {
		if len(m.Components) > 0 {
			f.violate("discord: components without ?with_components=true are dropped: %s", body)
		}
		delete(raw, "components")
	}
	return raw
}

// keepDiscord stores what Discord keeps of a body: on an edit, the fields
// sent replace the message's, and the others stay.
func keepDiscord(m *Message, fields map[string]json.RawMessage) {
	kept := map[string]json.RawMessage{}
	if m.Body != "" {
		_ = json.Unmarshal([]byte(m.Body), &kept)
	}
	for k, v := range fields {
		kept[k] = v
	}
	b, _ := json.Marshal(kept)
	m.Body = string(b)
}

func (f *Fake) discordAuth(w http.ResponseWriter, r *http.Request) bool {
	if r.PathValue("id") != DiscordRoom || r.PathValue("token") != DiscordToken {
		reply(w, http.StatusUnauthorized, map[string]any{"message": "Invalid Webhook Token", "code": 50027})
		return false
	}
	return true
}

// discordAnswered sets the rate-limit headers of a request that went
// through.
func discordAnswered(w http.ResponseWriter) {
	w.Header().Set("X-RateLimit-Limit", "5")
	w.Header().Set("X-RateLimit-Remaining", "4")
	w.Header().Set("X-RateLimit-Reset-After", "2.000")
}

func (f *Fake) discordPost(w http.ResponseWriter, r *http.Request) {
	body := readBody(r)
	f.mu.Lock()
	defer f.mu.Unlock()
	room := r.PathValue("id")
	if !f.discordAuth(w, r) || f.gate(w, "discord", room) {
		return
	}
	fields := f.checkDiscord(body, r.URL.Query().Get("with_components") == "true")
	m := &Message{Platform: "discord", Room: room, ID: strconv.Itoa(1300000000000000000 + f.seq + 1)}
	keepDiscord(m, fields)
	f.add(m)
	discordAnswered(w)
	if r.URL.Query().Get("wait") != "true" {
		f.violate("discord: a post without ?wait=true tells no message id")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	reply(w, http.StatusOK, map[string]any{"id": m.ID, "type": 0, "channel_id": "990000000000000001", "webhook_id": room, "content": ""})
}

func (f *Fake) discordEdit(w http.ResponseWriter, r *http.Request) {
	body := readBody(r)
	f.mu.Lock()
	defer f.mu.Unlock()
	room := r.PathValue("id")
	if !f.discordAuth(w, r) || f.gate(w, "discord", room) {
		return
	}
	for _, m := range f.messages {
		if m.Platform == "discord" && m.ID == r.PathValue("msg") {
			keepDiscord(m, f.checkDiscord(body, r.URL.Query().Get("with_components") == "true"))
			m.Edits++
			discordAnswered(w)
			reply(w, http.StatusOK, map[string]any{"id": m.ID, "channel_id": "990000000000000001"})
			return
		}
	}
	reply(w, http.StatusNotFound, map[string]any{"message": "Unknown Message", "code": 10008})
}

// googlePost is spaces.messages.create through a webhook: key and token
// checked, a thread by key (created) or by name (replied in), the reply
// option pagerd must send, and 32,000 bytes at most.
func (f *Fake) googlePost(w http.ResponseWriter, r *http.Request) {
	body := readBody(r)
	f.mu.Lock()
	defer f.mu.Unlock()
	space := r.PathValue("space")
	q := r.URL.Query()
	if q.Get("key") != GoogleKey || q.Get("token") != GoogleToken {
		reply(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{"code": 401, "status": "UNAUTHENTICATED", "message": "Invalid webhook token."}})
		return
	}
	if f.gate(w, "googlechat", space) {
		return
	}
	var msg struct {
		Text    string            `json:"text"`
		CardsV2 []json.RawMessage `json:"cardsV2"`
		Thread  struct {
			Name      string `json:"name"`
			ThreadKey string `json:"threadKey"`
		} `json:"thread"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		reply(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": 400, "status": "INVALID_ARGUMENT"}})
		return
	}
	if q.Get("messageReplyOption") != "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD" {
		f.violate("googlechat: messageReplyOption = %q: the thread is ignored", q.Get("messageReplyOption"))
	}
	if len(body) > 32000 || (msg.Text == "" && len(msg.CardsV2) == 0) {
		f.violate("googlechat: %d bytes, or no text and no card", len(body))
	}
	thread := msg.Thread.Name
	switch {
	case thread != "":
	case msg.Thread.ThreadKey != "":
		if thread = f.threads[msg.Thread.ThreadKey]; thread == "" {
			thread = fmt.Sprintf("spaces/%s/threads/T%d", space, len(f.threads)+1)
			f.threads[msg.Thread.ThreadKey] = thread
		}
	default:
		thread = fmt.Sprintf("spaces/%s/threads/U%d", space, f.seq+1)
	}
	m := &Message{Platform: "googlechat", Room: space, ID: fmt.Sprintf("spaces/%s/messages/M%d", space, f.seq+1), Thread: thread, Body: string(body)}
	f.add(m)
	reply(w, http.StatusOK, map[string]any{"name": m.ID, "thread": map[string]string{"name": thread}, "space": map[string]string{"name": "spaces/" + space}})
}
