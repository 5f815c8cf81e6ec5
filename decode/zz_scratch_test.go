package decode

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/vpnpcap/vpnpcap/internal/corpus"
)

func TestScratchCorpus(t *testing.T) {
	dir := corpus.Dir(t)
	for _, f := range corpus.Files(t) {
		st, err := ReadFile(filepath.Join(dir, f), Options{}, func(p *Packet) {})
		fmt.Printf("%-70s fr=%d acc=%d kinds=%v und=%v mal=%v err=%v\n", f, st.Frames, st.Accounted(), st.Kinds, st.Undecodable, st.Malformed, err)
	}
}

func TestScratchDump(t *testing.T) {
	f := os.Getenv("DUMP")
	if f == "" {
		t.Skip()
	}
	st, err := ReadFile(filepath.Join(corpus.Dir(t), f), Options{KeepOther: os.Getenv("OTHER") != ""}, func(p *Packet) {
		s := fmt.Sprintf("%d(%d) %s %v:%d>%v:%d p%d id%d len%d", p.Frame, p.FirstFrame, p.Kind, p.Src, p.SrcPort, p.Dst, p.DstPort, p.Proto, p.IPID, p.PayloadLen)
		switch p.Kind {
		case KindESP, KindUDPESP, KindTCPESP:
			s += fmt.Sprintf(" spi=%#x seq=%d", p.ESP.SPI, p.ESP.Seq)
		case KindAH:
			s += fmt.Sprintf(" ah spi=%#x seq=%d", p.AH.SPI, p.AH.Seq)
		case KindGRE:
			s += fmt.Sprintf(" gre=%+v", p.GRE)
		case KindPPTP:
			s += fmt.Sprintf(" pptp=%v %+v", p.PPTP.Type, p.PPTP)
		case KindIPFragment:
			s += fmt.Sprintf(" frag=%+v", p.Fragment)
		}
		if p.IKE != nil {
			s += fmt.Sprintf(" ike v%d x%d mid%d", p.IKE.Version, p.IKE.Exchange, p.IKE.MessageID)
		}
		if p.Fragments > 0 {
			s += fmt.Sprintf(" reasm=%d", p.Fragments)
		}
		if p.NonESPMarker {
			s += " marker"
		}
		if p.TCPEncap {
			s += " tcpencap"
		}
		if p.Err != "" {
			s += " ERR=" + p.Err
		}
		fmt.Println(s)
	})
	fmt.Println(st, err)
}

func TestScratchAll(t *testing.T) {
	if os.Getenv("ALLDUMP") == "" {
		t.Skip()
	}
	out, _ := os.Create(os.Getenv("ALLDUMP"))
	defer out.Close()
	for _, f := range corpus.Files(t) {
		ReadFile(filepath.Join(corpus.Dir(t), f), Options{}, func(p *Packet) {
			fmt.Fprintf(out, "%s\t%d\t%s\t%v\n", f, p.Frame, p.Kind, p.Err)
		})
	}
}
