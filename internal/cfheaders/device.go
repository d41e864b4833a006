package cfheaders

// Device is the viewer's device type as the CloudFront-Is-*-Viewer headers
// report it. CloudFront documents only the categories, decided from the
// User-Agent, and that more than one can be true ("for some tablet
// devices, CloudFront sets both CloudFront-Is-Mobile-Viewer and
// CloudFront-Is-Tablet-Viewer to true"); "Add CloudFront request headers".
type Device struct {
	Android, Desktop, IOS, Mobile, SmartTV, Tablet bool
}

// Is reports the flag of a CloudFront-Is-*-Viewer header (canonical name).
func (d Device) Is(name string) bool {
	switch name {
	case IsAndroidViewer:
		return d.Android
	case IsDesktopViewer:
		return d.Desktop
	case IsIOSViewer:
		return d.IOS
	case IsMobileViewer:
		return d.Mobile
	case IsSmartTVViewer:
		return d.SmartTV
	case IsTabletViewer:
		return d.Tablet
	}
	return false
}

// User-Agent tokens, matched case-insensitively anywhere in the value.
var (
	smartTVTokens = []string{"smarttv", "smart-tv", "smart tv", "googletv", "google tv", "appletv", "apple tv", "hbbtv",
		"netcast", "viera", "bravia", "philipstv", "roku", "crkey", "web0s", "webos.tv", "tizen tv", "aftb", "afts", "aftm",
		"aftt", "aftn", "aftka", "aftmm", "afttiff", "tv safari", "opera tv", "large screen", "playstation", "xbox", "nintendo"}
	tabletTokens = []string{"ipad", "kindle", "silk/", "playbook", "nexus 7", "nexus 9", "nexus 10", "sm-t", "gt-p"}
	mobileTokens = []string{"mobile", "iphone", "ipod", "android", "windows phone", "iemobile", "blackberry", "bb10",
		"opera mini", "opera mobi", "symbian", "series60", "series40", "palm", "webos", "kaios", "fennec", "minimo", "up.browser", "j2me", "midp"}
	iosTokens = []string{"iphone", "ipod", "ipad"}
)

// DetectDevice classifies a User-Agent the way CloudFront's headers
// describe it:
//   - SmartTV: a TV, set-top box or console (SmartTV, HbbTV, Roku, AppleTV,
//     Fire TV's AFT* models, Chromecast...).
//   - Tablet: iPad, Kindle/Silk, a "Tablet" token, or Android without the
//     "Mobile" token (Android tablets omit it).
//   - Mobile: phones and other handhelds (iPhone, iPod, Android, a "Mobile"
//     token, Windows Phone, BlackBerry, Opera Mini...); an iPad's Safari
//     says "Mobile" too, so those tablets are mobile as well.
//   - IOS: iPhone, iPod touch and those iPads that say so (iPadOS Safari
//     presents itself as a Mac by default and is then a desktop).
//   - Android: the Android operating system.
//   - Desktop: none of SmartTV, Tablet, Mobile; also an absent User-Agent.
func DetectDevice(ua string) Device {
	var d Device
	d.SmartTV = containsAnyFold(ua, smartTVTokens)
	d.Android = containsFold(ua, "android")
	d.IOS = containsAnyFold(ua, iosTokens)
	d.Tablet = containsAnyFold(ua, tabletTokens) || (d.Android && !containsFold(ua, "mobile")) ||
		// Internet Explorer on touch laptops says "Tablet PC": a desktop.
		(containsFold(ua, "tablet") && !containsFold(ua, "tablet pc"))
	d.Mobile = containsAnyFold(ua, mobileTokens)
	if d.SmartTV {
		// TV platforms are often Android or webOS based; they are not
		// handhelds.
		d.Mobile, d.Tablet = false, false
	}
	d.Desktop = !d.SmartTV && !d.Tablet && !d.Mobile
	return d
}

func containsAnyFold(s string, lowers []string) bool {
	for _, t := range lowers {
		if containsFold(s, t) {
			return true
		}
	}
	return false
}

// containsFold reports whether s contains lower (ASCII lower case),
// ignoring ASCII case, without allocating.
func containsFold(s, lower string) bool {
	n := len(lower)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lower[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}
