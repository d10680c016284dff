package bus

import (
	"time"

	"github.com/segmentio/kafka-go"
)

// Message is one record on the bus. Publish reads Topic, Key, Value and
// Headers; Fetch fills in the rest.
type Message struct {
	Topic string
	// Key is the case id: the Hash balancer maps one key to one partition,
	// which is what keeps one case's messages in order.
	Key     string
	Value   []byte
	Headers map[string]string

	// Set by Fetch.
	Partition int
	Offset    int64
	Time      time.Time
	// Raw is the kafka-go message as fetched. Commit needs its topic,
	// partition and offset; callers that keep a Message to commit later
	// should keep it whole.
	Raw kafka.Message
}

func (m Message) toKafka() kafka.Message {
	km := kafka.Message{Topic: m.Topic, Value: m.Value}
	if m.Key != "" {
		km.Key = []byte(m.Key)
	}
	// Sorted so the same Message always produces the same bytes on the wire.
	for _, k := range sortedKeys(m.Headers) {
		km.Headers = append(km.Headers, kafka.Header{Key: k, Value: []byte(m.Headers[k])})
	}
	return km
}

func fromKafka(km kafka.Message) Message {
	m := Message{
		Topic:     km.Topic,
		Key:       string(km.Key),
		Value:     km.Value,
		Partition: km.Partition,
		Offset:    km.Offset,
		Time:      km.Time,
		Raw:       km,
	}
	if len(km.Headers) > 0 {
		// A repeated header keeps its last value; Tongban never repeats one.
		m.Headers = make(map[string]string, len(km.Headers))
		for _, h := range km.Headers {
			m.Headers[h.Key] = string(h.Value)
		}
	}
	return m
}
