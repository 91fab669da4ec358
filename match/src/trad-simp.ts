/**
 * Traditional → simplified for the characters customers actually type in a shop chat
 * (Hong Kong and Taiwan customers, or a phone set to 繁體). A full conversion table is tens of
 * thousands of entries; matching only needs the common ones, and a character left traditional
 * still matches through its bigram neighbours. No target is also a source, so the mapping is
 * idempotent.
 */
const PAIRS =
  '貨货運运費费還还沒没發发價价錢钱單单號号碼码買买賣卖換换寶宝會会員员優优惠惠' +
  '並并們们個个來来對对時时現现這这說说國国過过點点開开問问題题應应該该樣样麼么' +
  '麽么為为與与業业東东車车書书長长門门間间關关電电話话讓让請请謝谢讀读論论證证' +
  '識识訂订認认試试設设計计記记許许評评詢询議议調调談谈達达邊边邊边遞递遠远適适' +
  '選选遲迟郵邮鄉乡醫医鐘钟鐵铁銀银鋪铺錯错鏈链鏡镜長长閉闭閱阅隊队陽阳陰阴際际' +
  '雙双雜杂離离難难電电韓韩頁页項项順顺須须預预領领頭头頻频顏颜願愿類类顧顾風风' +
  '飛飞飯饭飲饮飽饱餅饼館馆馬马驗验體体髮发鬆松鬥斗魚鱼鳥鸟麥麦黃黄齊齐齒齿龍龙' +
  '龜龟條条檢检樓楼標标機机權权歡欢歲岁歷历歸归殺杀氣气濕湿無无燈灯爛烂牆墙獎奖' +
  '現现環环產产畫画當当療疗發发盤盘盡尽確确禮礼種种積积穩稳窮穷競竞筆笔範范簡简' +
  '紅红約约級级紙纸紀纪純纯納纳紐纽線线細细組组結结絕绝給给統统絲丝綁绑經经綠绿' +
  '維维網网綿绵緊紧練练縣县總总績绩繳缴續续罰罚義义習习聯联聲声職职膚肤臉脸舊旧' +
  '艙舱藝艺蘋苹處处號号蟲虫補补裝装製制複复襪袜見见規规視视親亲覺觉觀观訊讯託托' +
  '記记訪访診诊詳详誠诚誤误說说誰谁課课請请諾诺謊谎講讲謹谨證证譯译護护讚赞貝贝' +
  '負负財财責责貨货販贩貴贵貸贷費费貼贴買买賠赔賬账賴赖購购賽赛贈赠趕赶車车軟软' +
  '較较載载輕轻輛辆輸输轉转辦办農农連连週周進进運运遊游達达違违還还邊边郵邮鄰邻' +
  '醜丑釋释針针釣钓鈕钮鉤钩銷销鋼钢錄录錶表鍋锅鍵键鏽锈鐘钟門门閃闪開开閒闲間间' +
  '閘闸隨随險险隱隐雞鸡雲云電电靈灵響响頂顶順顺預预領领頸颈額额顯显颱台飾饰餘余' +
  '館馆騙骗驚惊髒脏鬧闹齡龄擔担據据擁拥擇择擊击擺摆攜携敗败數数斷断晉晋暫暂曆历' +
  '東东極极樂乐樣样橫横欄栏態态懷怀戰战戶户拋抛掃扫換换揀拣搖摇損损搶抢撥拨' +
  '儲储優优償偿兒儿兩两冊册凍冻則则剛刚劃划動动務务勝胜勞劳區区協协卻却厭厌' +
  '參参吳吴員员啟启噸吨嚴严團团園园圍围圖图塊块壓压壞坏夠够夢梦奪夺婦妇媽妈' +
  '學学寧宁實实寫写審审將将專专尋寻導导層层屬属島岛幣币幫帮廣广廳厅張张彈弹' +
  '後后從从復复徵征憂忧憑凭滿满漲涨測测溫温滅灭漢汉濃浓瀏浏灣湾災灾'
const TABLE = new Map<string, string>()
for (let i = 0; i + 1 < PAIRS.length; i += 2) {
  const from = PAIRS[i]!
  const to = PAIRS[i + 1]!
  if (from !== to) TABLE.set(from, to)
}
// A character that is both a source and a target would make conversion depend on how many
// times it runs; drop such entries rather than trust the table above to be perfect.
for (const to of [...TABLE.values()]) TABLE.delete(to)

/** Converts the common traditional characters in `text` to their simplified forms. */
export function toSimplified(text: string): string {
  let out = ''
  for (const ch of text) out += TABLE.get(ch) ?? ch
  return out
}

/** How many characters the table converts (for tests). */
export const TRAD_SIMP_SIZE = TABLE.size
