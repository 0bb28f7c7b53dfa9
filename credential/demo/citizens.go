package demo

import "github.com/certledger/certledger/credential"

// Citizen is a demo holder who signs in at the demo identity provider:
// three natural persons and a company, whose legal representative signs in
// as the company (ID type uscc).
type Citizen struct {
	Username string
	Holder   credential.Holder
}

// Citizens returns the demo holders. Their ID numbers carry valid check
// characters and belong to no one: the sequence codes were picked for the
// demo.
func Citizens() []Citizen {
	return []Citizen{
		{"zhangwei", credential.Holder{Name: "张伟", IDType: credential.IDResidentCard, IDNumber: "350102199003071234"}},
		{"lina", credential.Holder{Name: "李娜", IDType: credential.IDResidentCard, IDNumber: "350103198511224569"}},
		{"wangfang", credential.Holder{Name: "王芳", IDType: credential.IDResidentCard, IDNumber: "350105199806157890"}},
		{"digital-future", credential.Holder{Name: "福州数字未来科技有限公司", IDType: credential.IDUSCC, IDNumber: "91350100M000100Y43"}},
	}
}

// Sample is a credential the demo issues to a demo citizen, so a newcomer
// who signs in finds a wallet with something in it.
type Sample struct {
	// Key names the sample for good: the issuance's idempotency key is
	// made from it, so issuing the samples again changes nothing.
	Key    string
	Dept   string // the issuing department
	Type   string // credential type ID
	Holder credential.Holder
	Fields map[string]string
}

// Samples returns the sample credentials: from each issuing department, a
// few to the demo citizens.
func Samples() []Sample {
	c := map[string]credential.Holder{}
	for _, x := range Citizens() {
		c[x.Username] = x.Holder
	}
	return []Sample{
		{Key: "licence-digital-future", Dept: Market, Type: "business-licence", Holder: c["digital-future"], Fields: map[string]string{
			"companyName": "福州数字未来科技有限公司", "entityType": "有限责任公司", "legalRepresentative": "张伟", "registeredCapital": "500",
			"establishedOn": "2020-03-15", "address": "福建省福州市鼓楼区五四路100号", "businessScope": "软件开发；信息技术咨询服务"}},
		{Key: "diploma-zhangwei", Dept: Education, Type: "diploma", Holder: c["zhangwei"], Fields: map[string]string{
			"school": "福州大学", "major": "计算机科学与技术", "level": "本科", "enrolledOn": "2008-09-01",
			"graduatedOn": "2012-06-30", "certificateNumber": "103861201205000123"}},
		{Key: "diploma-lina", Dept: Education, Type: "diploma", Holder: c["lina"], Fields: map[string]string{
			"school": "福建师范大学", "major": "汉语言文学", "level": "本科", "enrolledOn": "2003-09-01",
			"graduatedOn": "2007-06-30", "certificateNumber": "103941200705000456"}},
		{Key: "diploma-wangfang", Dept: Education, Type: "diploma", Holder: c["wangfang"], Fields: map[string]string{
			"school": "福建卫生职业技术学院", "major": "护理", "level": "专科", "enrolledOn": "2016-09-01",
			"graduatedOn": "2019-06-30", "certificateNumber": "128471201905000789"}},
		{Key: "qualification-zhangwei", Dept: HumanRes, Type: "professional-qualification", Holder: c["zhangwei"], Fields: map[string]string{
			"occupation": "软件设计师", "grade": "中级", "score": "92", "examinedOn": "2015-11-08", "certificateNumber": "S3501201511080042"}},
		{Key: "qualification-wangfang", Dept: HumanRes, Type: "professional-qualification", Holder: c["wangfang"], Fields: map[string]string{
			"occupation": "养老护理员", "grade": "四级/中级工", "score": "85", "examinedOn": "2021-05-22", "certificateNumber": "Y3501202105220317"}},
		{Key: "qualification-lina", Dept: HumanRes, Type: "professional-qualification", Holder: c["lina"], Fields: map[string]string{
			"occupation": "评茶员", "grade": "三级/高级工", "score": "88", "examinedOn": "2018-10-20", "certificateNumber": "Y3501201810200125"}},
	}
}
